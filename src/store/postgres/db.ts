// node-postgres adapter for the Db port: a shared pg.Pool; transactions check out one client.
// int8 (BIGINT) columns are parsed to numbers (epoch seconds and sequences stay far below 2^53).
import pg from "pg";
import type { Db, Dialect, Row } from "../shared/db.ts";
import { storeError } from "../shared/db.ts";

export const postgresDialect: Dialect = {
  name: "postgres",
  now: "floor(extract(epoch from now()))::bigint",
  // Columns are COLLATE "C" (binary); ESCAPE '' turns off the backslash escape so only % and _ are special.
  pattern: (col, param) => `${col} LIKE ${param} ESCAPE ''`,
  patternIgnoreCase: (col, param) => `${col} ILIKE ${param} ESCAPE ''`,
  patternValue: (p) => p,
  inArray: (col, param, type) => `${col} = ANY(${param}::${type}[])`,
  selectEach: (param, type) => `SELECT unnest(${param}::${type}[]) AS value`,
  arrayValue: (values) => values,
};

const INT8_OID = 20;
/** Per-pool type parsers (not the process-global pg.types). */
export const pgTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID && format !== "binary") return (v: string) => Number(v);
    return (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

interface Queryable {
  query(cfg: pg.QueryConfig): Promise<pg.QueryResult>;
}

// Stable statement names so every pooled connection prepares each hot statement once.
const names = new Map<string, string>();
const MAX_NAMED = 500; // list queries vary with their filters; beyond this, statements run unnamed
function queryConfig(sql: string, params: readonly unknown[] | undefined): pg.QueryConfig {
  let name = names.get(sql);
  if (!name && names.size < MAX_NAMED) {
    name = `h${names.size + 1}`;
    names.set(sql, name);
  }
  const values = params ? [...params] : [];
  return name ? { name, text: sql, values } : { text: sql, values };
}

/**
 * Retry policy: a statement is run again only when it cannot have taken effect — the connection was refused
 * (nothing was sent), the server is starting or out of connection slots, or the server rolled it back
 * (serialization failure, deadlock). A lost connection mid-statement or a timeout is NOT retried: a write may
 * have committed. Three retries with jittered backoff (about 50, 200, 500 ms).
 */
const RETRY_DELAYS_MS = [50, 200, 500];
const TRANSIENT_CODES = new Set(["ECONNREFUSED", "57P03", "53300", "40001", "40P01"]);
export function isTransientPgError(err: unknown): boolean {
  // Statements inside a transaction come back wrapped (HeimdallError STORE) with the driver's error as cause.
  for (let e = err as { code?: unknown; cause?: unknown } | null | undefined, depth = 0; e && depth < 3; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string" && TRANSIENT_CODES.has(e.code)) return true;
  }
  return false;
}
async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const delay = RETRY_DELAYS_MS[i];
      if (delay === undefined || !isTransientPgError(err)) throw err;
      await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
    }
  }
}

class ClientDb implements Db {
  readonly dialect = postgresDialect;
  constructor(
    private readonly q: Queryable,
    /** Single statements on the pool may retry; statements inside a transaction never do (the tx retries). */
    private readonly retry = false,
  ) {}
  async query<R extends Row = Row>(op: string, sql: string, params?: readonly unknown[]): Promise<R[]> {
    try {
      const run = () => this.q.query(queryConfig(sql, params));
      return (await (this.retry ? withRetry(run) : run())).rows as R[];
    } catch (err) {
      throw storeError(op, err);
    }
  }
  async exec(op: string, sql: string, params?: readonly unknown[]): Promise<number> {
    try {
      const run = () => this.q.query(queryConfig(sql, params));
      return (await (this.retry ? withRetry(run) : run())).rowCount ?? 0;
    } catch (err) {
      throw storeError(op, err);
    }
  }
  async tx<T>(_op: string, fn: (db: Db) => Promise<T>): Promise<T> {
    return fn(this);
  }
}

export class PostgresDb implements Db {
  readonly dialect = postgresDialect;
  private readonly direct: ClientDb;
  constructor(readonly pool: pg.Pool) {
    this.direct = new ClientDb(pool, true);
  }
  query<R extends Row = Row>(op: string, sql: string, params?: readonly unknown[]): Promise<R[]> {
    return this.direct.query<R>(op, sql, params);
  }
  exec(op: string, sql: string, params?: readonly unknown[]): Promise<number> {
    return this.direct.exec(op, sql, params);
  }
  /** A transaction rolled back by a transient failure (see isTransientPgError) runs again from the start. */
  async tx<T>(op: string, fn: (db: Db) => Promise<T>): Promise<T> {
    try {
      return await withRetry(() => this.txOnce(fn));
    } catch (err) {
      throw storeError(op, err);
    }
  }

  private async txOnce<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    // A checked-out client has no pool listener: a connection lost between two statements would otherwise be an
    // unhandled 'error' event (a crash). The next statement then fails, and the client is discarded.
    const onError = () => {
      broken = true;
    };
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      const out = await fn(new ClientDb(client));
      await client.query("COMMIT");
      return out;
    } catch (err) {
      try {
        await client.query("ROLLBACK");
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      client.removeListener("error", onError);
      client.release(broken);
    }
  }
}
