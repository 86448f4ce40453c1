// Public surface of the engine: job routing, execution and recovery and health probes (spec 8, 9, 7.1/7.2), and
// the job lifecycle's named transitions.
export type * from "./contract.ts";
export { createEngine, type Engine } from "./engine.ts";
export { JobOutputStream, CHUNK_BYTES } from "./output.ts";
export { AWOL_ERROR, KILLED_ERROR, TRANSITIONS, transitionTableMarkdown } from "./lifecycle/index.ts";
