// What the API is built from (see buildApp in index.ts).
import type { Logger } from "pino";
import type { HeimdallConfig } from "../config/index.ts";
import type { EngineApi } from "../engine/index.ts";
import type { Store } from "../store/index.ts";
import type { Metrics } from "./metrics.ts";

export interface ApiDeps {
  config: HeimdallConfig;
  store: Store;
  engine: EngineApi;
  log: Logger;
  version: string;
  metrics: Metrics;
  /** Directory with the built web UI (index.html + assets); missing = a small placeholder page. */
  uiRoot?: string;
  /** server.tls material (loadTls): serve HTTPS instead of HTTP. */
  tls?: { cert: Buffer; key: Buffer };
}
