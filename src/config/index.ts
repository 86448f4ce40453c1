// Configuration: YAML file + environment → one validated, frozen HeimdallConfig (problems located by path),
// and the built-in demo config. Public surface of src/config.
import type { HeimdallConfig } from "./types.ts";
import { loadConfig as loadWith, type LoadOptions } from "./load.ts";
import { demoConfig } from "./demo.ts";

export type * from "./types.ts";
export type { LoadOptions } from "./load.ts";
export { configFromYaml } from "./load.ts";
export { demoConfig, demoConfigDocument, REPO_ROOT } from "./demo.ts";

/**
 * Reads the configuration: `file` when given (unreadable → error), else /etc/heimdall/heimdall.yaml when it
 * exists, else the built-in demo. HEIMDALL_* variables in `env` override either. Throws HeimdallError CONFIG.
 */
export function loadConfig(opts: LoadOptions = {}): HeimdallConfig {
  return loadWith(opts, (cwd, env) => demoConfig(cwd, env));
}
