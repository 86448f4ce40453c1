// Domain layer: job/command/cluster types, statuses, validation, criteria routing, durations, context layering,
// templates, wire serialization and typed errors. Pure code: no I/O here, everything else builds on it.
export * from "./types.ts";
export * from "./api-types.ts";
export * from "./errors.ts";
export * from "./problems.ts";
export * from "./text.ts";
export * from "./tags.ts";
export * from "./fields.ts";
export * from "./status.ts";
export * from "./validate.ts";
export * from "./callers.ts";
export * from "./routing.ts";
export * from "./cursor.ts";
export * from "./duration.ts";
export * from "./layering.ts";
export * from "./template.ts";
export * from "./serialize.ts";
export * from "./ids.ts";
