// Retry classes of database failures (see README "Retry classes"). The engine retries job-path writes by class;
// the store itself only retries what cannot have taken effect (postgres/db.ts).

/**
 * - `unavailable`: the database could not be reached or dropped the connection (PostgreSQL down, restarting,
 *   out of connection slots, connection reset or timed out, a transaction rolled back by the server). Whether a
 *   write committed may be unknown: retry only writes that are idempotent or re-checked.
 * - `busy`: SQLite could not get its lock (SQLITE_BUSY*, SQLITE_LOCKED*); nothing was written.
 * - `io`: SQLite I/O error or full disk (SQLITE_IOERR*, SQLITE_FULL, SQLITE_CANTOPEN); retried a few times only.
 * - undefined: any other error (constraint, bad data, unknown job): retrying cannot help.
 */
export type DbErrorClass = "unavailable" | "busy" | "io";

const PG_UNAVAILABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTCONN",
  "57P01",
  "57P02",
  "57P03",
  "53300",
  "40001",
  "40P01",
]);
const PG_UNAVAILABLE_TEXT = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /query read timeout/i,
  /not queryable/i,
  /connection (?:is )?closed/i,
  /terminating connection/i,
  /the database system is (?:starting up|shutting down|in recovery mode)/i,
];

function classOf(e: { code?: unknown; message?: unknown }): DbErrorClass | undefined {
  const code = typeof e.code === "string" ? e.code : "";
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return "busy";
  if (code.startsWith("SQLITE_IOERR") || code === "SQLITE_FULL" || code === "SQLITE_CANTOPEN") return "io";
  if (PG_UNAVAILABLE.has(code) || code.startsWith("08")) return "unavailable";
  const msg = typeof e.message === "string" ? e.message : "";
  if (code === "" && PG_UNAVAILABLE_TEXT.some((re) => re.test(msg))) return "unavailable";
  return undefined;
}

/** The retry class of a store failure (the driver's error is looked for in the `cause` chain). */
export function dbErrorClass(err: unknown): DbErrorClass | undefined {
  let e = err as { code?: unknown; message?: unknown; cause?: unknown } | null | undefined;
  for (let depth = 0; e && typeof e === "object" && depth < 4; depth++, e = e.cause as typeof e) {
    const c = classOf(e);
    if (c) return c;
  }
  return undefined;
}
