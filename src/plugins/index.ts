// Plugins: the contract a plugin implements (handlers, runtime, task views) and the registry of the built-in
// ones, compiled in and registered by name (spec 10.1, D12): ping, shell, ecs.
import type { PluginModule } from "./contract.ts";
import { pingPlugin } from "./ping/index.ts";
import { shellPlugin } from "./shell/index.ts";
import { ecsPlugin } from "./ecs/index.ts";
export { ecsStatsSnapshot } from "./ecs/index.ts";

export type * from "./contract.ts";
export { pingPlugin } from "./ping/index.ts";
export {
  shellPlugin,
  createShellPlugin,
  KILL_GRACE_MS,
  PROCESS_RECORD,
  killRecordedGroup,
  readProcessRecord,
  recordOwner,
  type ProcessRecord,
} from "./shell/index.ts";

export type PluginRegistry = ReadonlyMap<string, PluginModule>;

/** A registry from a list of modules (tests register their own plugins this way). */
export function pluginRegistry(modules: readonly PluginModule[]): PluginRegistry {
  return new Map(modules.map((m) => [m.name, m]));
}

/** The plugins built into the server: ping, shell, ecs. */
export function builtinPlugins(): PluginRegistry {
  return pluginRegistry([pingPlugin, shellPlugin, ecsPlugin]);
}
