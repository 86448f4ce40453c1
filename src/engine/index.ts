// Public surface of the engine: job routing, execution, recovery and health probes (spec 8, 9, 7.1/7.2).
export type * from "./contract.ts";
export { createEngine, type Engine, type EngineDeps } from "./engine.ts";
export { JobOutputStream, truncationLine, CHUNK_BYTES } from "./output.ts";
export { AWOL_ERROR } from "./janitor.ts";
export { KILLED_ERROR } from "./runner.ts";
