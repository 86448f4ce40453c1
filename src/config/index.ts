// Public surface of the configuration layer.
import type { HeimdallConfig } from "./types.ts";
import { loadConfig as loadWith, type LoadOptions } from "./load.ts";
import { demoConfig } from "./demo.ts";

export type * from "./types.ts";
export type { Env } from "./env.ts";
export type { LoadOptions, ConfigOptions } from "./load.ts";
export { ENV_VARIABLES } from "./env.ts";
export { configFromYaml, DEFAULT_CONFIG_FILE, DEFAULT_AUTH_HEADER } from "./load.ts";
export { demoConfig, demoConfigDocument, DEMO_SOURCE, DEMO_TASK_DEFINITION, REPO_ROOT } from "./demo.ts";
export { deepFreeze } from "./freeze.ts";

/**
 * Reads the configuration: `file` when given (unreadable → error), else /etc/heimdall/heimdall.yaml when it
 * exists, else the built-in demo. HEIMDALL_* variables in `env` override either. Throws HeimdallError CONFIG.
 */
export function loadConfig(opts: LoadOptions = {}): HeimdallConfig {
  return loadWith(opts, (cwd, env) => demoConfig(cwd, env));
}
