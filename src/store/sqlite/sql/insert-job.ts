// SQLite T1/T2: job row, tag sets and claim in one IMMEDIATE transaction (statements prepared once, cached).
// Group commit: inserts arriving while the connection is busy are collected and written in ONE transaction (each
// job inside its own SAVEPOINT, so one failing job does not fail the others). A commit costs far more than the
// inserts themselves, so under concurrent submits this multiplies throughput; a lone insert commits at once.
import type { NewJob } from "../../contract.ts";
import type { Db } from "../../shared/db.ts";
import { num, storeError } from "../../shared/db.ts";
import type { InsertedJob } from "../../shared/hot-ops.ts";
import { JOB_INSERT_COLUMNS, jobInsertValues } from "../../shared/hot-ops.ts";

const INSERT_JOB = `INSERT INTO jobs (${JOB_INSERT_COLUMNS})
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, unixepoch(), unixepoch())
  RETURNING seq, created_at`;
const insertSet = (table: string) =>
  `INSERT INTO ${table} (job_seq, tag) SELECT $1, value FROM json_each($2) WHERE true ON CONFLICT DO NOTHING`;
const INSERT_TAGS = insertSet("job_tags");
const INSERT_COMMAND_CRITERIA = insertSet("job_command_criteria");
const INSERT_CLUSTER_CRITERIA = insertSet("job_cluster_criteria");
const INSERT_CLAIM = `INSERT INTO claims (job_seq, owner, heartbeat, handed_back)
  VALUES ($1, $2, CASE WHEN $2 IS NULL THEN NULL ELSE unixepoch() END, 0)`;

/** Most jobs written by one transaction. */
const MAX_BATCH = 256;

interface Pending {
  job: NewJob;
  resolve(v: InsertedJob): void;
  reject(err: unknown): void;
}

async function insertOne(tx: Db, job: NewJob): Promise<InsertedJob> {
  const rows = await tx.query("insertJob", INSERT_JOB, jobInsertValues(job));
  const seq = num(rows[0]?.seq);
  if (job.tags.length) await tx.exec("insertJob", INSERT_TAGS, [seq, JSON.stringify(job.tags)]);
  if (job.command_criteria.length) {
    await tx.exec("insertJob", INSERT_COMMAND_CRITERIA, [seq, JSON.stringify(job.command_criteria)]);
  }
  if (job.cluster_criteria.length) {
    await tx.exec("insertJob", INSERT_CLUSTER_CRITERIA, [seq, JSON.stringify(job.cluster_criteria)]);
  }
  await tx.exec("insertJob", INSERT_CLAIM, [seq, job.owner ?? null]);
  return { seq, created_at: num(rows[0]?.created_at) };
}

interface Queue {
  pending: Pending[];
  running: boolean;
}
const queues = new WeakMap<Db, Queue>();

async function flush(db: Db, batch: Pending[]): Promise<void> {
  const outcomes: ({ ok: true; v: InsertedJob } | { ok: false; err: unknown })[] = [];
  try {
    await db.tx("insertJob", async (tx) => {
      if (batch.length === 1) {
        outcomes.push({ ok: true, v: await insertOne(tx, (batch[0] as Pending).job) });
        return;
      }
      for (const p of batch) {
        await tx.exec("insertJob", "SAVEPOINT insert_job");
        try {
          outcomes.push({ ok: true, v: await insertOne(tx, p.job) });
          await tx.exec("insertJob", "RELEASE insert_job");
        } catch (err) {
          await tx.exec("insertJob", "ROLLBACK TO insert_job");
          await tx.exec("insertJob", "RELEASE insert_job");
          outcomes.push({ ok: false, err });
        }
      }
    });
  } catch (err) {
    const e = storeError("insertJob", err);
    for (const p of batch) p.reject(e);
    return;
  }
  batch.forEach((p, i) => {
    const o = outcomes[i];
    if (o?.ok) p.resolve(o.v);
    else p.reject(storeError("insertJob", o?.err));
  });
}

export function insertJob(db: Db, job: NewJob): Promise<InsertedJob> {
  let q = queues.get(db);
  if (!q) {
    q = { pending: [], running: false };
    queues.set(db, q);
  }
  const queue = q;
  return new Promise((resolve, reject) => {
    queue.pending.push({ job, resolve, reject });
    if (queue.running) return; // joins the batch after the one being written
    queue.running = true;
    // Collect whatever else arrives in this turn of the event loop, then write batches until none is left.
    setImmediate(() => void drain(db, queue));
  });
}

async function drain(db: Db, q: Queue): Promise<void> {
  try {
    while (q.pending.length > 0) await flush(db, q.pending.splice(0, MAX_BATCH));
  } finally {
    q.running = false;
  }
}
