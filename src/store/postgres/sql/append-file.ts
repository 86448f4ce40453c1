// PostgreSQL job file append (9.11): read the last chunk, then insert every new chunk in ONE statement from
// arrays. The (job, file, chunk_no) primary key rejects a concurrent append racing for the same numbers. With
// `atOffset` an append whose earlier try committed (answer lost with the connection) is not stored twice.
import type { JobFile } from "../../../core/index.ts";
import type { Db } from "../../shared/db.ts";
import { lastChunk } from "../../shared/files.ts";
import { appendNeeded } from "../../shared/hot-ops.ts";

const INSERT_CHUNKS = `INSERT INTO job_file_chunks (job_seq, file, chunk_no, start_offset, data)
  SELECT $1, $2, x.no, x.off, x.data FROM unnest($3::int[], $4::bigint[], $5::bytea[]) AS x(no, off, data)`;

export async function appendFile(db: Db, seq: number, file: JobFile, chunks: Buffer[], atOffset?: number): Promise<void> {
  let { no, size } = await lastChunk(db, "appendFile", seq, file);
  if (!appendNeeded(seq, file, size, atOffset, chunks)) return;
  const nos: number[] = [];
  const offs: number[] = [];
  for (const c of chunks) {
    nos.push(++no);
    offs.push(size);
    size += c.length;
  }
  await db.exec("appendFile", INSERT_CHUNKS, [seq, file, nos, offs, chunks]);
}
