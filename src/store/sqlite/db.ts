// better-sqlite3 adapter for the Db port. One connection; statements are prepared once and cached.
//
// Group commit: on this one connection every write (a transaction or a single statement) is queued and the queue
// is drained one event-loop turn later, so all writes that arrived meanwhile share ONE transaction. The batch runs
// first without savepoints; only when a write throws is it run again with each write in its own SAVEPOINT, so a
// failing write is rolled back alone and fails alone. A commit costs far more than the
// statements themselves, so concurrent submits, transitions and output flushes scale. Every caller's promise
// settles only after the shared COMMIT (or with its own error). Reads run at once unless a transaction is open.
import type BetterSqlite3 from "better-sqlite3";
import type { Db, Row } from "../shared/db.ts";
import { storeError } from "../shared/db.ts";
import { sqliteDialect } from "./dialect.ts";

export { sqliteDialect };

interface Prepared {
  stmt: BetterSqlite3.Statement;
  /** For each `?` in the rewritten SQL, the index of the `$n` parameter it binds. */
  order: number[];
}

interface Work {
  op: string;
  fn: (db: Db) => Promise<unknown>;
  resolve(v: unknown): void;
  reject(err: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

const MAX_CACHED = 1000;
/** Most writes sharing one transaction. */
const MAX_BATCH = 256;
/** Microtask turns the pump waits after a commit for the follow-up writes of the callers it just answered. */
const SETTLE_TICKS = 100;
/** After this long (ms) of back-to-back transactions the pump lets the event loop run before going on. */
const PUMP_BUDGET_MS = 5;

function bindValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  return v;
}

export class SqliteDb implements Db {
  readonly dialect = sqliteDialect;
  private readonly cache = new Map<string, Prepared>();
  private readonly queue: Work[] = [];
  /** A transaction is open (between BEGIN and COMMIT, possibly across awaits). */
  private busy = false;
  private scheduled = false;
  private closed = false;
  private idle: (() => void)[] = [];
  private readonly inTx: Db;

  /** `pumpBudgetMs`: PUMP_BUDGET_MS unless a test needs the turn to be given up later (or sooner). */
  constructor(
    readonly conn: BetterSqlite3.Database,
    private readonly pumpBudgetMs = PUMP_BUDGET_MS,
  ) {
    // The handle given to transaction bodies: runs statements directly (the transaction is already open).
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

  private runQuery<R extends Row>(op: string, sql: string, params?: readonly unknown[]): R[] {
    try {
      const p = this.prepare(sql);
      const args = p.order.map((i) => bindValue(params?.[i]));
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
      const args = p.order.map((i) => bindValue(params?.[i]));
      if (p.stmt.reader) return p.stmt.all(...args).length;
      return p.stmt.run(...args).changes;
    } catch (err) {
      throw storeError(op, err);
    }
  }

  private isReadonly(op: string, sql: string): boolean {
    try {
      return this.prepare(sql).stmt.readonly;
    } catch (err) {
      throw storeError(op, err);
    }
  }

  async query<R extends Row = Row>(op: string, sql: string, params?: readonly unknown[]): Promise<R[]> {
    if (this.closed) throw storeError(op, new Error("database is closed"));
    // Between the group commit's transactions (none open) a read sees only committed state: it runs at once.
    if (!this.conn.inTransaction && this.isReadonly(op, sql)) return this.runQuery<R>(op, sql, params);
    return this.enqueue(op, async (db) => db.query<R>(op, sql, params));
  }

  exec(op: string, sql: string, params?: readonly unknown[]): Promise<number> {
    return this.enqueue(op, async (db) => db.exec(op, sql, params));
  }

  tx<T>(op: string, fn: (db: Db) => Promise<T>): Promise<T> {
    return this.enqueue(op, fn);
  }

  private enqueue<T>(op: string, fn: (db: Db) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(storeError(op, new Error("database is closed")));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.busy && !this.scheduled) {
        this.scheduled = true;
        // One turn later: collect every write that arrives in this turn of the event loop.
        setImmediate(() => void this.pump());
      }
    });
  }

  private async pump(): Promise<void> {
    this.scheduled = false;
    if (this.busy) return;
    this.busy = true;
    const deadline = performance.now() + this.pumpBudgetMs;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        // Safety net: a batch must never leave its callers waiting (settled promises ignore the rejection).
        await this.runBatch(batch).catch((err: unknown) => {
          this.rollback();
          for (const w of batch) w.reject(storeError(w.op, err));
        });
        // The callers' continuations run now (microtasks); a job's runner reaches its next write (start → finish,
        // finish → the claim of its worker's next job) within some dozens of them. Waiting for those writes here
        // puts them in the next transaction of this turn instead of one event-loop turn later, behind every HTTP
        // request that arrived meanwhile.
        for (let i = 0; i < SETTLE_TICKS && this.queue.length === 0; i++) await null;
        if (this.queue.length > 0 && performance.now() > deadline) {
          // Enough for this turn: I/O (HTTP requests, timers) runs first, the rest of the queue right after.
          this.scheduled = true;
          setImmediate(() => void this.pump());
          break;
        }
      }
    } finally {
      this.busy = false;
      if (!this.scheduled) for (const done of this.idle.splice(0)) done();
    }
  }

  /**
   * One transaction for the batch. First without savepoints: writes rarely fail (a compare-and-set that matches
   * nothing returns false, it does not throw), so the batch usually commits as a whole with no statement spent on
   * isolation. When a write throws, that try is rolled back and the batch runs again with a SAVEPOINT per write,
   * so the failing write fails alone and the others commit (the bodies are SQL only: running them again is safe).
   */
  private async runBatch(batch: Work[]): Promise<void> {
    if (batch.length > 1) {
      const outcomes = await this.runOptimistic(batch);
      if (outcomes === "rolled back") return this.runIsolated(batch);
      if (outcomes !== undefined) this.commit(batch, outcomes);
      return;
    }
    return this.runIsolated(batch);
  }

  /** The batch in one transaction without savepoints; "rolled back" when a write threw (nothing kept). */
  private async runOptimistic(batch: Work[]): Promise<Outcome[] | "rolled back" | undefined> {
    if (!this.begin(batch)) return undefined;
    const outcomes: Outcome[] = [];
    for (const w of batch) {
      try {
        outcomes.push({ ok: true, value: await w.fn(this.inTx) });
      } catch {
        this.rollback();
        return "rolled back";
      }
    }
    return outcomes;
  }

  /** The batch with a SAVEPOINT per write (a lone write needs none: its transaction is its savepoint). */
  private async runIsolated(batch: Work[]): Promise<void> {
    const outcomes: Outcome[] = [];
    const single = batch.length === 1;
    if (!this.begin(batch)) return;
    for (let i = 0; i < batch.length; i++) {
      const w = batch[i] as Work;
      try {
        if (!single) this.conn.exec("SAVEPOINT work");
        const value = await w.fn(this.inTx);
        if (!single) this.conn.exec("RELEASE work");
        outcomes.push({ ok: true, value });
      } catch (err) {
        outcomes.push({ ok: false, err });
        if (this.conn.inTransaction && (single || this.rollbackToSavepoint())) continue;
        // SQLite rolled the whole transaction back (I/O error, full disk), or this write's savepoint cannot be
        // undone alone: everything so far is lost.
        this.rollback();
        for (const x of batch.slice(0, i + 1)) x.reject(storeError(x.op, err));
        this.queue.unshift(...batch.slice(i + 1)); // not run yet: next transaction
        return;
      }
    }
    if (single && outcomes[0]?.ok === false) {
      this.rollback();
      const o = outcomes[0];
      (batch[0] as Work).reject(storeError((batch[0] as Work).op, o.err));
      return;
    }
    this.commit(batch, outcomes);
  }

  /** BEGIN IMMEDIATE; false (every write rejected) when it fails. */
  private begin(batch: Work[]): boolean {
    try {
      this.conn.exec("BEGIN IMMEDIATE");
      return true;
    } catch (err) {
      for (const w of batch) w.reject(storeError(w.op, err));
      return false;
    }
  }

  /** COMMIT, then every caller's promise settles with its own outcome (all fail when the commit does). */
  private commit(batch: Work[], outcomes: Outcome[]): void {
    try {
      this.conn.exec("COMMIT");
    } catch (err) {
      this.rollback();
      for (const w of batch) w.reject(storeError(w.op, err));
      return;
    }
    batch.forEach((w, i) => {
      const o = outcomes[i] as Outcome;
      if (o.ok) w.resolve(o.value);
      else w.reject(storeError(w.op, o.err));
    });
  }

  /** Undoes the current write alone; false when its savepoint is gone (the write ended it itself). */
  private rollbackToSavepoint(): boolean {
    try {
      this.conn.exec("ROLLBACK TO work");
      this.conn.exec("RELEASE work");
      return true;
    } catch {
      return false;
    }
  }

  private rollback(): void {
    try {
      if (this.conn.inTransaction) this.conn.exec("ROLLBACK");
    } catch {
      // nothing left to undo
    }
  }

  /** Waits for queued work, then closes the connection; later calls fail with a STORE error. */
  async close(): Promise<void> {
    while (this.busy || this.scheduled || this.queue.length > 0) {
      if (!this.busy && !this.scheduled) void this.pump();
      await new Promise<void>((r) => this.idle.push(r));
    }
    this.closed = true;
    this.cache.clear();
    this.conn.close();
  }
}
