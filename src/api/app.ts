// Fastify application: raw-string bodies, identity hook, error mapping (spec 3.4, D1), metrics, routes, UI.
import Fastify, { LogController } from "fastify";
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { HeimdallError, errorMessage } from "../core/index.ts";
import type { ApiDeps } from "./deps.ts";
import { ANONYMOUS, identityProvider, type Identity } from "./auth/index.ts";
import { API_PREFIX, BODY_LIMIT, MSG_NO_IDENTITY, MSG_TOO_LARGE, sendError, unknownEndpoint } from "./http.ts";
import type { RegisteredRoute } from "./http.ts";
import { registerFileRoutes } from "./routes-files.ts";
import { registerHealthRoutes } from "./routes-health.ts";
import { registerJobRoutes } from "./routes-jobs.ts";
import { registerLogRoutes } from "./routes-logs.ts";
import { registerRegistryRoutes } from "./routes-registry.ts";
import { registerStatsRoutes } from "./routes-stats.ts";
import { registerUiRoutes } from "./ui.ts";
import { noValidation, registerApiDocs } from "./api-docs.ts";
import { buildSerializer, loadSerializerCompiler } from "./serializer.ts";

function mapError(err: unknown): HeimdallError {
  if (err instanceof HeimdallError) return err;
  const fe = err as Partial<FastifyError>;
  if (fe.code === "FST_ERR_CTP_BODY_TOO_LARGE") return new HeimdallError("PAYLOAD_TOO_LARGE", MSG_TOO_LARGE);
  if (fe.code === "FST_ERR_CTP_INVALID_CONTENT_LENGTH")
    return new HeimdallError("BAD_REQUEST", "request body: length does not match Content-Length");
  if (fe.code === "FST_ERR_BAD_URL") return new HeimdallError("BAD_REQUEST", "invalid URL: malformed percent-encoding");
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new HeimdallError(fe.statusCode === 404 ? "NOT_FOUND" : "BAD_REQUEST", errorMessage(err));
  }
  return new HeimdallError("INTERNAL", `internal error: ${errorMessage(err)}`, { cause: err });
}

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const s = deps.config.server;
  const app = Fastify({
    ...(deps.tls ? { https: { cert: deps.tls.cert, key: deps.tls.key } } : {}),
    loggerInstance: deps.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // Request schemas document; core's validators check (exact messages of the spec), so no validator is compiled
    // (and Fastify's default, Ajv, is never loaded).
    schemaController: { compilersFactory: { buildValidator: noValidation, buildSerializer } },
    exposeHeadRoutes: false,
    // serve() drains the engine before closing the app; requests that arrive meanwhile are still answered.
    return503OnClosing: false,
    keepAliveTimeout: s.idle_timeout * 1000,
    requestTimeout: s.read_timeout * 1000,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 4096 },
    frameworkErrors: (err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      void sendError(reply, mapError(err));
    },
  }) as unknown as FastifyInstance;
  if (s.read_header_timeout > 0) {
    const headers = s.read_header_timeout * 1000;
    app.server.headersTimeout = s.read_timeout > 0 ? Math.min(headers, s.read_timeout * 1000) : headers;
  }

  // Only POST/PUT read a body (3.3): the other methods Fastify would parse are made bodyless, so an unknown
  // endpoint with a large body is a 404, not a 413.
  for (const m of ["DELETE", "OPTIONS", "PATCH", "QUERY"]) app.addHttpMethod(m, { hasBody: false, overrideExisting: true });
  // Bodies are read as raw text of any content type; the handlers parse JSON themselves (3.3).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string", bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.decorateRequest("caller", "");
  app.decorateRequest("identity", null as unknown as Identity); // set for every request in onRequest
  const provider = identityProvider(deps.config.auth, deps.log);
  const bearer = deps.config.auth?.plugin === "jwt";
  app.decorateRequest("routeLabel", "");
  const writeTimeoutMs = s.write_timeout * 1000;
  app.addHook("onRequest", async (req, reply) => {
    // server.write_timeout (Go's WriteTimeout): an ordinary response not produced in time closes the connection.
    if (writeTimeoutMs > 0 && !req.routeOptions.config.longRunning) {
      const timer = setTimeout(() => {
        if (!reply.sent) {
          req.log.warn({ url: req.url, method: req.method }, "write timeout: closing the connection");
          reply.raw.destroy();
        }
      }, writeTimeoutMs);
      timer.unref();
      reply.raw.once("close", () => clearTimeout(timer));
    }
    const refused = (reason: string) => req.log.info({ reason, url: req.url, method: req.method }, "credentials refused");
    try {
      req.identity = await provider.resolve(req.headers, refused);
    } catch (err) {
      // The web UI's pages and assets load without a valid identity, so the UI can show the API's 401 itself.
      if (!(err instanceof HeimdallError && err.code === "UNAUTHENTICATED") || req.url.startsWith(`${API_PREFIX}/`)) throw err;
      req.identity = ANONYMOUS;
    }
    req.caller = req.identity.user;
    if (req.routeOptions.config.identity && req.caller === "") throw new HeimdallError("UNAUTHENTICATED", MSG_NO_IDENTITY);
  });
  // RFC 6750: a 401 under the jwt plugin says which scheme to use (and never why a token was refused).
  if (bearer) {
    app.addHook("onSend", async (_req, reply, payload) => {
      if (reply.statusCode === 401) reply.header("WWW-Authenticate", 'Bearer realm="heimdall"');
      return payload;
    });
  }
  app.addHook("onResponse", async (req, reply) => {
    const route = req.routeLabel || (req.routeOptions.config.template ?? "unmatched");
    deps.metrics.httpRequest(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err, req, reply) => {
    const he = mapError(err);
    if (he.status >= 500) req.log.error({ err, url: req.url, method: req.method }, "request failed");
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    reply.removeHeader("Content-Range");
    reply.removeHeader("Content-Length");
    return sendError(reply, he);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, unknownEndpoint(req)));

  const routes: RegisteredRoute[] = [];
  app.decorate("registeredRoutes", routes);
  app.addHook("onRoute", (opts) => {
    // A route's template (metrics label, OpenAPI path) is its URL in the spec's style: `:id` → `{id}`.
    const template = opts.url.replace(/:(\w+)/g, "{$1}");
    opts.config = { ...opts.config, template };
    const documented = !(opts.schema as { hide?: boolean } | undefined)?.hide;
    for (const m of Array.isArray(opts.method) ? opts.method : [opts.method]) routes.push({ method: m, template, documented });
  });

  await registerApiDocs(app, deps);
  registerJobRoutes(app, deps);
  registerFileRoutes(app, deps);
  registerLogRoutes(app, deps);
  registerRegistryRoutes(app, deps);
  registerStatsRoutes(app, deps);
  registerHealthRoutes(app, deps);
  registerUiRoutes(app, deps);
  await loadSerializerCompiler();
  await app.ready();
  return app;
}
