// Fetches the tag-like sets (tags, cluster tags, criteria) of a page of rows in ONE query, not one per row.
import type { Db } from "./db.ts";
import { num } from "./db.ts";

export interface SetTable {
  /** Key under which the set is returned. */
  kind: string;
  table: string;
  seqColumn: string;
}

/** Returns kind → seq → tags (binary order). `seqs` undefined = every row of the tables. */
export async function fetchSets(
  db: Db,
  op: string,
  tables: readonly SetTable[],
  seqs: readonly number[] | undefined,
): Promise<Map<string, Map<number, string[]>>> {
  const out = new Map<string, Map<number, string[]>>();
  for (const t of tables) out.set(t.kind, new Map());
  if (seqs !== undefined && seqs.length === 0) return out;
  const d = db.dialect;
  const parts = tables.map(
    (t, i) =>
      `SELECT ${i} AS k, ${t.seqColumn} AS seq, tag FROM ${t.table}` +
      (seqs === undefined ? "" : ` WHERE ${d.inArray(t.seqColumn, "$1", "bigint")}`),
  );
  const sql = `${parts.join(" UNION ALL ")} ORDER BY k, seq, tag`;
  const rows = await db.query(op, sql, seqs === undefined ? [] : [d.arrayValue(seqs)]);
  for (const r of rows) {
    const kind = tables[num(r.k)]?.kind as string;
    const bySeq = out.get(kind) as Map<number, string[]>;
    const seq = num(r.seq);
    let list = bySeq.get(seq);
    if (!list) bySeq.set(seq, (list = []));
    list.push(String(r.tag));
  }
  return out;
}

export function setOf(sets: Map<string, Map<number, string[]>>, kind: string, seq: number): string[] {
  return sets.get(kind)?.get(seq) ?? [];
}

/** Replaces the set rows of one owner row: delete then insert from an array parameter. */
export async function replaceSet(db: Db, op: string, t: SetTable, seq: number, tags: readonly string[]): Promise<void> {
  await db.exec(op, `DELETE FROM ${t.table} WHERE ${t.seqColumn} = $1`, [seq]);
  await insertSet(db, op, t, seq, tags);
}

export async function insertSet(db: Db, op: string, t: SetTable, seq: number, tags: readonly string[]): Promise<void> {
  if (tags.length === 0) return;
  const d = db.dialect;
  await db.exec(
    op,
    `INSERT INTO ${t.table} (${t.seqColumn}, tag) SELECT CAST($1 AS BIGINT), value FROM (${d.selectEach("$2", "text")}) AS v`,
    [seq, d.arrayValue([...new Set(tags)])],
  );
}
