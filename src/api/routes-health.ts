// Health (spec 7.1–7.3), /metrics (7.4) and the OpenAPI document.
import type { FastifyInstance } from "fastify";
import { errorMessage } from "../core/index.ts";
import type { HealthReport } from "../engine/index.ts";
import type { ApiDeps } from "./deps.ts";
import { API_PREFIX, param } from "./http.ts";
import { openApiDocument } from "./openapi.ts";

const P = API_PREFIX;
const DB_TIMEOUT_MS = 2000;

/** Canonical key order of a health report (7.1). */
function reportJson(r: HealthReport): Record<string, unknown> {
  return {
    healthy: r.healthy,
    checks: r.checks.map((c) => {
      const o: Record<string, unknown> = {
        cluster_id: c.cluster_id,
        cluster_name: c.cluster_name,
        plugin: c.plugin,
        status: c.status,
        latency_ms: c.latency_ms,
      };
      if (c.error) o["error"] = c.error;
      return o;
    }),
  };
}

interface Check {
  name: string;
  status: "ok" | "error";
  latency_ms: number;
  error?: string;
}

async function databaseCheck(deps: ApiDeps): Promise<Check> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      deps.store.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timeout after ${DB_TIMEOUT_MS}ms`)), DB_TIMEOUT_MS);
      }),
    ]);
    return { name: "database", status: "ok", latency_ms: Math.round(performance.now() - t0) };
  } catch (err) {
    return { name: "database", status: "error", latency_ms: Math.round(performance.now() - t0), error: errorMessage(err) };
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoutes(app: FastifyInstance, deps: ApiDeps, routes: () => { method: string; template: string }[]): void {
  app.get(`${P}/clusters/health`, async (_req, reply) => {
    const r = await deps.engine.clustersHealth();
    return reply.code(r.healthy ? 200 : 503).send(reportJson(r));
  });
  app.get(`${P}/cluster/:id/health`, async (req) => {
    return reportJson(await deps.engine.clusterHealth(param(req, "id")));
  });
  app.get(`${P}/health`, async (_req, reply) => {
    const checks: Check[] = [await databaseCheck(deps)];
    if (deps.engine.draining) checks.push({ name: "server", status: "error", latency_ms: 0, error: "shutting down" });
    const healthy = checks.every((c) => c.status === "ok");
    return reply.code(healthy ? 200 : 503).send({ healthy, version: deps.version, instance: deps.engine.instanceName, checks });
  });
  app.get("/metrics", async (_req, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
  let doc: unknown;
  app.get(`${P}/openapi.json`, async () => {
    doc ??= openApiDocument(deps.version, routes(), deps.config.auth?.plugin);
    return doc;
  });
}
