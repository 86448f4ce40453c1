// Public surface of the domain layer (no I/O here).
export * from "./types.ts";
export * from "./errors.ts";
