// better-sqlite3 adapter for the Db port. One connection; statements are prepared once and cached.
// All access is serialised by an in-process mutex so that a transaction spanning awaits never interleaves with
// other statements on the same connection (better-sqlite3 itself is synchronous).
import type BetterSqlite3 from "better-sqlite3";
import type { Db, Dialect, Row } from "../shared/db.ts";
import { storeError } from "../shared/db.ts";

interface Prepared {
  stmt: BetterSqlite3.Statement;
  /** For each `?` in the rewritten SQL, the index of the `$n` parameter it binds. */
  order: number[];
}

export const sqliteDialect: Dialect = {
  name: "sqlite",
  now: "unixepoch()",
  pattern: (col, param) => `${col} GLOB ${param}`,
  // GLOB is always case-sensitive and binary: translate % → *, _ → ?, and quote GLOB's own metacharacters.
  patternValue: (p) => p.replace(/[*?[%_]/g, (c) => (c === "%" ? "*" : c === "_" ? "?" : `[${c}]`)),
  inArray: (col, param) => `${col} IN (SELECT value FROM json_each(${param}))`,
  selectEach: (param) => `SELECT value FROM json_each(${param})`,
  arrayValue: (values) => JSON.stringify(values),
};

const MAX_CACHED = 1000;

class Mutex {
  private locked = false;
  private readonly waiters: (() => void)[] = [];
  get busy(): boolean {
    return this.locked;
  }
  acquire(): Promise<void> | undefined {
    if (!this.locked) {
      this.locked = true;
      return undefined;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.locked = false;
  }
}

function bindValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  return v;
}

export class SqliteDb implements Db {
  readonly dialect = sqliteDialect;
  private readonly cache = new Map<string, Prepared>();
  private readonly mutex = new Mutex();
  private readonly inTx: Db;

  constructor(readonly conn: BetterSqlite3.Database) {
    // The handle given to a transaction body: runs statements directly (the mutex is already held).
    this.inTx = {
      dialect: sqliteDialect,
      query: async (op, sql, params) => this.runQuery(op, sql, params),
      exec: async (op, sql, params) => this.runExec(op, sql, params),
      tx: async (_op, fn) => fn(this.inTx),
    };
  }

  private prepare(sql: string): Prepared {
    let p = this.cache.get(sql);
    if (!p) {
      const order: number[] = [];
      const text = sql.replace(/\$(\d+)/g, (_m, n: string) => {
        order.push(Number(n) - 1);
        return "?";
      });
      p = { stmt: this.conn.prepare(text), order };
      // List queries vary with their filters: keep the cache bounded (Map order = oldest first).
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(sql, p);
    }
    return p;
  }

  private bind(p: Prepared, params: readonly unknown[] | undefined): unknown[] {
    return p.order.map((i) => bindValue(params?.[i]));
  }

  private runQuery<R extends Row>(op: string, sql: string, params?: readonly unknown[]): R[] {
    try {
      const p = this.prepare(sql);
      const args = this.bind(p, params);
      if (p.stmt.reader) return p.stmt.all(...args) as R[];
      p.stmt.run(...args);
      return [];
    } catch (err) {
      throw storeError(op, err);
    }
  }

  private runExec(op: string, sql: string, params?: readonly unknown[]): number {
    try {
      const p = this.prepare(sql);
      const args = this.bind(p, params);
      if (p.stmt.reader) return p.stmt.all(...args).length;
      return p.stmt.run(...args).changes;
    } catch (err) {
      throw storeError(op, err);
    }
  }

  async query<R extends Row = Row>(op: string, sql: string, params?: readonly unknown[]): Promise<R[]> {
    const wait = this.mutex.acquire();
    if (wait) await wait;
    try {
      return this.runQuery<R>(op, sql, params);
    } finally {
      this.mutex.release();
    }
  }

  async exec(op: string, sql: string, params?: readonly unknown[]): Promise<number> {
    const wait = this.mutex.acquire();
    if (wait) await wait;
    try {
      return this.runExec(op, sql, params);
    } finally {
      this.mutex.release();
    }
  }

  async tx<T>(op: string, fn: (db: Db) => Promise<T>): Promise<T> {
    const wait = this.mutex.acquire();
    if (wait) await wait;
    try {
      try {
        this.conn.exec("BEGIN IMMEDIATE");
      } catch (err) {
        throw storeError(op, err);
      }
      try {
        const out = await fn(this.inTx);
        this.conn.exec("COMMIT");
        return out;
      } catch (err) {
        if (this.conn.inTransaction) this.conn.exec("ROLLBACK");
        throw storeError(op, err);
      }
    } finally {
      this.mutex.release();
    }
  }

  /** Waits for running statements/transactions, then closes the connection. */
  async close(): Promise<void> {
    const wait = this.mutex.acquire();
    if (wait) await wait;
    try {
      this.cache.clear();
      this.conn.close();
    } finally {
      this.mutex.release();
    }
  }
}
