// The small database port every store module codes against: one per engine (sqlite/db.ts, postgres/db.ts).
// SQL text uses PostgreSQL-style `$1` placeholders on both engines; the SQLite adapter rewrites them.
import { HeimdallError, errorMessage } from "../../core/index.ts";

export type Row = Record<string, unknown>;

export interface Db {
  readonly dialect: Dialect;
  /** Rows of a statement (SELECT or … RETURNING). `op` names the store operation for error messages. */
  query<R extends Row = Row>(op: string, sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a statement and returns the number of changed rows. */
  exec(op: string, sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs `fn` in one transaction (SQLite: BEGIN IMMEDIATE). Nested calls reuse the open transaction. */
  tx<T>(op: string, fn: (db: Db) => Promise<T>): Promise<T>;
}

/** The SQL differences between the engines that shared statements need. */
export interface Dialect {
  readonly name: "sqlite" | "postgres";
  /** SQL expression: database clock, integer epoch seconds. */
  readonly now: string;
  /** SQL condition: `col` matches the spec pattern bound to `param` (binary, case-sensitive, `%`/`_`, no escape). */
  pattern(col: string, param: string): string;
  /**
   * SQL condition: like pattern() but ignoring case (`ignore_case=true`). SQLite folds both sides with JavaScript's
   * toLowerCase (full Unicode); PostgreSQL uses ILIKE, whose case folding follows the database's LC_CTYPE.
   */
  patternIgnoreCase(col: string, param: string): string;
  /** Parameter value for pattern(): the spec pattern translated for the engine. */
  patternValue(pattern: string): string;
  /** SQL condition: `col` is one of the values of the array parameter `param`. */
  inArray(col: string, param: string, type: "text" | "bigint"): string;
  /** SQL select yielding one row per array element as column `value`. */
  selectEach(param: string, type: "text" | "bigint"): string;
  /** Parameter value for inArray()/selectEach(). */
  arrayValue(values: readonly (string | number)[]): unknown;
}

/** Wraps any database failure into HeimdallError("STORE") naming the operation. */
export function storeError(op: string, err: unknown): HeimdallError {
  if (err instanceof HeimdallError) return err;
  return new HeimdallError("STORE", `store ${op}: ${errorMessage(err)}`, { cause: err });
}

/** Integer columns may come back as strings (pg int8) or bigint; normalise to number. */
export function num(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" || typeof v === "bigint") return Number(v);
  throw new Error(`expected an integer column, got ${typeof v}`);
}
export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}
export function bool(v: unknown): boolean {
  return v === true || v === 1 || v === "1" || v === "t" || v === 1n;
}
