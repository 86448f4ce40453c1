// SQL differences of SQLite for the shared statements (see shared/db.ts).
import type { Dialect } from "../shared/db.ts";

export const sqliteDialect: Dialect = {
  name: "sqlite",
  now: "unixepoch()",
  pattern: (col, param) => `${col} GLOB ${param}`,
  // heimdall_fold: String.prototype.toLowerCase, registered on every connection (sqlite/open.ts).
  patternIgnoreCase: (col, param) => `heimdall_fold(${col}) GLOB heimdall_fold(${param})`,
  // GLOB is always case-sensitive and binary: translate % → *, _ → ?, and quote GLOB's own metacharacters.
  patternValue: (p) => p.replace(/[*?[%_]/g, (c) => (c === "%" ? "*" : c === "_" ? "?" : `[${c}]`)),
  inArray: (col, param) => `${col} IN (SELECT value FROM json_each(${param}))`,
  selectEach: (param) => `SELECT value FROM json_each(${param})`,
  arrayValue: (values) => JSON.stringify(values),
};
