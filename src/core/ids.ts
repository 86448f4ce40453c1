// Identifiers: job ids (lowercase UUID v4) and instance names.
import { randomUUID } from "node:crypto";

export function newJobId(): string {
  return randomUUID();
}

export const MAX_INSTANCE_NAME = 64;

/** `<lowercase host>-<start micros>`, at most 64 characters (the host part is shortened if needed). */
export function instanceName(hostname: string, startMicros: number | bigint): string {
  const suffix = `-${typeof startMicros === "bigint" ? startMicros : Math.trunc(startMicros)}`;
  let host = hostname.toLowerCase().replace(/[^a-z0-9.-]+/g, "-") || "heimdall";
  const room = MAX_INSTANCE_NAME - suffix.length;
  if (host.length > room) host = host.slice(0, Math.max(room, 0));
  return `${host}${suffix}`;
}
