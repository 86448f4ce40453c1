// Job files (9.11): stdout/stderr chunk reads and sizes, results, and plugin state rows.
// Appends are engine-specific (sqlite/sql/append-file.ts, postgres/sql/append-file.ts).
import { HeimdallError } from "../../core/index.ts";
import type { JobFile, Json } from "../../core/index.ts";
import type { Db } from "./db.ts";
import { num } from "./db.ts";

/** Chunks fetched per query while streaming a file. */
export const READ_BATCH = 16;

export async function jobSeq(db: Db, op: string, jobId: string): Promise<number | undefined> {
  const rows = await db.query(op, `SELECT seq FROM jobs WHERE id = $1`, [jobId]);
  return rows[0] === undefined ? undefined : num(rows[0].seq);
}

/** Number of the last chunk and the file size (-1 and 0 when the file is empty). */
export async function lastChunk(db: Db, op: string, seq: number, file: JobFile): Promise<{ no: number; size: number }> {
  const rows = await db.query(
    op,
    `SELECT chunk_no, start_offset + length(data) AS size FROM job_file_chunks
     WHERE job_seq = $1 AND file = $2 ORDER BY chunk_no DESC LIMIT 1`,
    [seq, file],
  );
  const r = rows[0];
  return r === undefined ? { no: -1, size: 0 } : { no: num(r.chunk_no), size: num(r.size) };
}

export async function fileSize(db: Db, jobId: string, file: JobFile): Promise<number> {
  const seq = await jobSeq(db, "fileSize", jobId);
  return seq === undefined ? 0 : (await lastChunk(db, "fileSize", seq, file)).size;
}

/** Streams bytes [start, end) in order, READ_BATCH chunks per query. */
export async function* readFile(db: Db, jobId: string, file: JobFile, start: number, end: number): AsyncGenerator<Buffer> {
  if (end <= start) return;
  const seq = await jobSeq(db, "readFile", jobId);
  if (seq === undefined) return;
  const first = await db.query(
    "readFile",
    `SELECT chunk_no FROM job_file_chunks WHERE job_seq = $1 AND file = $2 AND start_offset <= $3
     ORDER BY start_offset DESC LIMIT 1`,
    [seq, file, start],
  );
  let next = first[0] === undefined ? 0 : num(first[0].chunk_no);
  for (;;) {
    const rows = await db.query(
      "readFile",
      `SELECT chunk_no, start_offset, data FROM job_file_chunks
       WHERE job_seq = $1 AND file = $2 AND chunk_no >= $3 AND start_offset < $4
       ORDER BY chunk_no LIMIT ${READ_BATCH}`,
      [seq, file, next, end],
    );
    for (const r of rows) {
      const off = num(r.start_offset);
      const data = r.data as Buffer;
      const from = Math.max(0, start - off);
      const to = Math.min(data.length, end - off);
      if (to > from) yield from === 0 && to === data.length ? data : data.subarray(from, to);
      next = num(r.chunk_no) + 1;
    }
    if (rows.length < READ_BATCH) return;
  }
}

export async function putResult(db: Db, jobId: string, resultJson: string): Promise<void> {
  const n = await db.exec(
    "putResult",
    `INSERT INTO job_results (job_seq, result) SELECT seq, $2 FROM jobs WHERE id = $1
     ON CONFLICT (job_seq) DO UPDATE SET result = excluded.result`,
    [jobId, resultJson],
  );
  if (n === 0) throw new HeimdallError("STORE", `store putResult: unknown job ${jobId}`);
}

export async function getResult(db: Db, jobId: string): Promise<string | undefined> {
  const rows = await db.query("getResult", `SELECT r.result FROM job_results r JOIN jobs j ON j.seq = r.job_seq WHERE j.id = $1`, [jobId]);
  return rows[0] === undefined ? undefined : String(rows[0].result);
}

export async function putPluginState(db: Db, jobId: string, key: string, value: Json): Promise<void> {
  const n = await db.exec(
    "putPluginState",
    `INSERT INTO plugin_state (job_seq, key, value, updated_at) SELECT seq, $2, $3, ${db.dialect.now} FROM jobs
     WHERE id = $1 ON CONFLICT (job_seq, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    [jobId, key, JSON.stringify(value)],
  );
  if (n === 0) throw new HeimdallError("STORE", `store putPluginState: unknown job ${jobId}`);
}

export async function listPluginState(db: Db, jobId: string, prefix?: string): Promise<{ key: string; value: Json }[]> {
  const rows = await db.query(
    "listPluginState",
    `SELECT p.key, p.value FROM plugin_state p JOIN jobs j ON j.seq = p.job_seq
     WHERE j.id = $1 AND substr(p.key, 1, length(CAST($2 AS TEXT))) = CAST($2 AS TEXT) ORDER BY p.key`,
    [jobId, prefix ?? ""],
  );
  return rows.map((r) => ({ key: String(r.key), value: JSON.parse(String(r.value)) as Json }));
}
