// HTTP API: the Fastify app (routes per resource, auth, error mapping, UI and OpenAPI serving) and the
// Prometheus metrics it serves. serve (src/cli) composes it with the store and the engine.
export { buildApp } from "./app.ts";
export { openApiDocument } from "./api-docs.ts";
export { createMetrics } from "./metrics.ts";
export { loadTls, reloadTls } from "./tls.ts";
export type { Metrics } from "./metrics.ts";
