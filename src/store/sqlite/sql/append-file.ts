// SQLite job file append (9.11): chunks numbered and offset after the last stored chunk, in one transaction.
// With `atOffset` an append whose earlier try committed is not stored twice.
import type { JobFile } from "../../../core/index.ts";
import type { Db } from "../../shared/db.ts";
import { lastChunk } from "../../shared/files.ts";
import { appendNeeded } from "../../shared/hot-ops.ts";

const INSERT_CHUNK = `INSERT INTO job_file_chunks (job_seq, file, chunk_no, start_offset, data) VALUES ($1, $2, $3, $4, $5)`;

export function appendFile(db: Db, seq: number, file: JobFile, chunks: Buffer[], atOffset?: number): Promise<void> {
  return db.tx("appendFile", async (tx) => {
    let { no, size } = await lastChunk(tx, "appendFile", seq, file);
    if (!appendNeeded(seq, file, size, atOffset, chunks)) return;
    for (const c of chunks) {
      no += 1;
      await tx.exec("appendFile", INSERT_CHUNK, [seq, file, no, size, c]);
      size += c.length;
    }
  });
}
