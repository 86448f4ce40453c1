// PostgreSQL result puts of SEVERAL jobs as ONE upsert (the result coalescer, ../coalesced.ts); ids distinct.
// Returns the ids that exist (a caller whose job is unknown gets the same error as files.putResult alone).
import type { Db } from "../../shared/db.ts";

const PUT_RESULTS = `WITH s AS (
    SELECT j.seq, j.id, v.result FROM unnest($1::text[], $2::text[]) AS v(id, result) JOIN jobs j ON j.id = v.id
  ), ins AS (
    INSERT INTO job_results (job_seq, result) SELECT seq, result FROM s
    ON CONFLICT (job_seq) DO UPDATE SET result = excluded.result
  )
  SELECT id FROM s`;

export async function putResults(db: Db, results: readonly { jobId: string; json: string }[]): Promise<Set<string>> {
  const rows = await db.query("putResult", PUT_RESULTS, [results.map((r) => r.jobId), results.map((r) => r.json)]);
  return new Set(rows.map((r) => String(r.id)));
}
