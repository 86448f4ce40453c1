// Public surface of the HTTP API: the Fastify app and the Prometheus metrics it serves.
export { buildApp } from "./app.ts";
export { createMetrics } from "./metrics.ts";
export { loadTls, reloadTls } from "./tls.ts";
export type { Metrics } from "./metrics.ts";
export { OPERATIONS as OPENAPI_OPERATIONS } from "./openapi.ts";
