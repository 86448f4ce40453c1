// Request helpers shared by the route modules: identity, body, query values and fixed error messages.
import type { FastifyReply, FastifyRequest } from "fastify";
import { HeimdallError, NUL_PROBLEM, parseJsonBody, validateIdentity } from "../core/index.ts";
import { MSG_NO_IDENTITY, type Identity } from "./auth/index.ts";

/** A route seen by the onRoute hook; `documented` = not hidden from the OpenAPI document. */
export interface RegisteredRoute {
  method: string;
  template: string;
  documented: boolean;
}

export const API_PREFIX = "/api/v1";
export const BODY_LIMIT = 1_048_576;
export { MSG_NO_IDENTITY };
export const MSG_TOO_LARGE = `request body too large (limit ${BODY_LIMIT} bytes)`;

declare module "fastify" {
  interface FastifyRequest {
    /** Caller identity ("" = anonymous), resolved in the onRequest hook. */
    caller: string;
    /** The caller's identity with its groups (verified token providers), resolved with `caller`. */
    identity: Identity;
    /** Metrics route label override ("unmatched" for unknown endpoints answered by a wildcard route). */
    routeLabel: string;
  }
  interface FastifyInstance {
    /** Every route as registered (onRoute), for the check that the OpenAPI document covers them. */
    registeredRoutes: RegisteredRoute[];
  }
  interface FastifyContextConfig {
    /** POST/PUT routes: identity required (401 before the body is read). */
    identity?: boolean;
    /** Route template for metrics and OpenAPI, spec style (`/api/v1/job/{id}`); set from the URL in buildApp. */
    template?: string;
    /** Exempt from server.write_timeout (submit — sync jobs run in the request —, file and log streams). */
    longRunning?: boolean;
  }
}

/** Identity of a POST/PUT after the body was read: 400 when longer than 64 characters. */
export function callerOf(req: FastifyRequest): string {
  if (req.caller === "") throw new HeimdallError("UNAUTHENTICATED", MSG_NO_IDENTITY);
  validateIdentity(req.caller);
  return req.caller;
}

/** The JSON object body of a POST/PUT (empty = {}). */
export function bodyOf(req: FastifyRequest): Record<string, unknown> {
  const raw = typeof req.body === "string" ? req.body : "";
  return parseJsonBody(raw);
}

export function unknownEndpoint(req: FastifyRequest): HeimdallError {
  req.routeLabel = "unmatched";
  const path = req.url.split("?")[0] ?? req.url;
  return new HeimdallError("NOT_FOUND", `unknown endpoint: ${req.method} ${path}`);
}

/** A value from the URL with a NUL character: 400 naming it, on every store (PostgreSQL text cannot hold NUL). */
function noNul(name: string, value: string): string {
  if (value.includes("\0")) throw new HeimdallError("BAD_REQUEST", `${name}: ${NUL_PROBLEM}`);
  return value;
}

/** First string value of a query parameter (repeated parameters: the first one); NUL → 400. */
export function queryString(req: FastifyRequest, name: string): string | undefined {
  const q = req.query as Record<string, unknown>;
  const v = q[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === "string" ? noNul(name, first) : undefined;
}

export function queryRecord(req: FastifyRequest): Record<string, unknown> {
  return (req.query ?? {}) as Record<string, unknown>;
}

export function param(req: FastifyRequest, name: string): string {
  const p = req.params as Record<string, string | undefined>;
  return noNul(name, p[name] ?? "");
}

export function sendError(reply: FastifyReply, err: HeimdallError): FastifyReply {
  const body: { error: string; id?: string } = { error: err.message };
  if (err.jobId !== undefined) body.id = err.jobId;
  return reply.code(err.status).type("application/json; charset=utf-8").send(body);
}
