// PostgreSQL job file append (9.11): ONE statement reads the last chunk, checks the expected offset and inserts
// every new chunk after it. Each chunk is its own bytea parameter (node-pg sends a Buffer in binary; a bytea[]
// array would go as hex text, twice the bytes plus parsing: half the throughput of a bare insert). The
// (job, file, chunk_no) primary key rejects a concurrent append racing for the same numbers. With `atOffset` an
// append whose earlier try committed (answer lost with the connection) is not stored twice.
import type { JobFile } from "../../../core/index.ts";
import type { Db } from "../../shared/db.ts";
import { num } from "../../shared/db.ts";
import { appendNeeded } from "../../shared/hot-ops.ts";

/** The statement for `n` chunks: $1 job seq, $2 file, $3 expected offset (null = append at the end), then data. */
function appendSql(n: number): string {
  const rows: string[] = [];
  let off = "0";
  for (let i = 0; i < n; i++) {
    rows.push(`(${i + 1}, ${off}, $${i + 4}::bytea)`);
    off = `${off} + length($${i + 4}::bytea)`;
  }
  return `WITH last AS (
      SELECT coalesce(max(chunk_no), -1) AS no, coalesce(max(start_offset + length(data)), 0) AS size
      FROM (SELECT chunk_no, start_offset, data FROM job_file_chunks WHERE job_seq = $1 AND file = $2
            ORDER BY chunk_no DESC LIMIT 1) l
    ), ins AS (
      INSERT INTO job_file_chunks (job_seq, file, chunk_no, start_offset, data)
      SELECT $1, $2, last.no + v.k, last.size + v.off, v.data
      FROM last, (VALUES ${rows.join(", ")}) AS v(k, off, data)
      WHERE $3::bigint IS NULL OR last.size = $3::bigint
      RETURNING 1
    )
    SELECT last.size, (SELECT count(*) FROM ins) AS inserted FROM last`;
}

const statements = new Map<number, string>();

export async function appendFile(db: Db, seq: number, file: JobFile, chunks: Buffer[], atOffset?: number): Promise<void> {
  let sql = statements.get(chunks.length);
  if (sql === undefined) {
    sql = appendSql(chunks.length);
    if (statements.size < 64) statements.set(chunks.length, sql);
  }
  const rows = await db.query("appendFile", sql, [seq, file, atOffset ?? null, ...chunks]);
  const r = rows[0];
  if (r === undefined || num(r.inserted) > 0) return;
  // Nothing inserted: the file was not at atOffset. Already stored by an earlier try → done; else an error.
  appendNeeded(seq, file, num(r.size), atOffset, chunks);
}
