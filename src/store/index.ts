// Public surface of the store: the contract types and openStore(), which picks the engine from the
// connection string (`sqlite:<path>` or `postgres://` / `postgresql://`) and migrates the schema.
import { HeimdallError } from "../core/index.ts";
import type { OpenStoreOptions, Store } from "./contract.ts";

export type * from "./contract.ts";
export { dbErrorClass, type DbErrorClass } from "./shared/errors.ts";

/** Each engine (and its driver, better-sqlite3 or pg) is imported only when a store of that kind is opened. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const cs = opts.connectionString.trim();
  if (cs.startsWith("sqlite:")) {
    const { openSqliteStore } = await import("./sqlite/open.ts");
    return openSqliteStore(cs.slice("sqlite:".length), opts);
  }
  if (cs.startsWith("postgres://") || cs.startsWith("postgresql://")) {
    const { openPostgresStore } = await import("./postgres/open.ts");
    return openPostgresStore({ ...opts, connectionString: cs });
  }
  throw new HeimdallError("CONFIG", "database.connection_string: must start with sqlite:, postgres:// or postgresql://");
}
