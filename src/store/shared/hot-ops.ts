// Engine-specific hot paths. Each engine implements these as raw SQL in its own sql/ folder.
import { FINAL_JOB_STATUSES, HeimdallError } from "../../core/index.ts";
import type { JobFile } from "../../core/index.ts";
import type { Job } from "../../core/index.ts";
import type { NewJob, OwnedJobState, Transition } from "../contract.ts";
import type { Db, Row } from "./db.ts";
import { num, numOrNull } from "./db.ts";
import { JOB_COLUMNS, contextText, criteriaText, jobFromRow } from "./rows.ts";

export interface InsertedJob {
  seq: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}
export interface ClaimedRow {
  seq: number;
  resumed: boolean;
  /** The job as the claim left it (status ACCEPTED, or RUNNING when resumed), with its tag sets. */
  job: Job;
  /** The registry revision read in the claim's transaction (the runner's registry cache checks it). */
  registryRevision: number;
}
export interface StaleRow {
  seq: number;
  owner: string | null;
  heartbeat: number | null;
}

export interface HotOps {
  /** enqueue/submitSync (docs/engine.md): job, its tag sets and its claim in one transaction; undefined when the registry guard failed. */
  insertJob(db: Db, job: NewJob): Promise<InsertedJob | undefined>;
  /** claim/resumeClaim in one atomic operation; rows in sequence order. */
  claimJobs(db: Db, owner: string, limit: number): Promise<ClaimedRow[]>;
  /** Compare-and-set status change plus the claim change it implies, atomically. */
  transition(db: Db, t: Transition): Promise<boolean>;
  /** `jobIds` undefined: every claim of the owner. */
  heartbeat(db: Db, owner: string, jobIds: readonly string[] | undefined): Promise<OwnedJobState[]>;
  staleCandidates(db: Db, staleSeconds: number, limit: number): Promise<StaleRow[]>;
  takeOverClaim(db: Db, id: string, observed: { owner: string | null; heartbeat: number | null }, owner: string): Promise<boolean>;
  /** Appends non-empty chunks after the last stored one (see Store.appendFile for `atOffset`). */
  appendFile(db: Db, seq: number, file: JobFile, chunks: Buffer[], atOffset: number | undefined): Promise<void>;
}

export const MAX_CHUNK = 64 * 1024;

/**
 * Idempotent append check: true when the chunks must be inserted, false when the file already ends at
 * `atOffset + length` (an earlier try committed). Any other size is an error.
 */
export function appendNeeded(
  jobSeq: number,
  file: JobFile,
  size: number,
  atOffset: number | undefined,
  chunks: readonly Buffer[],
): boolean {
  if (atOffset === undefined || size === atOffset) return true;
  const total = chunks.reduce((n, c) => n + c.length, 0);
  if (size === atOffset + total) return false;
  throw new HeimdallError("STORE", `store appendFile: ${file} of job #${jobSeq} has ${size} bytes, expected ${atOffset}`);
}
/** Splits buffers into non-empty chunks of at most 64 KiB. */
export function splitChunks(chunks: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const c of chunks) {
    for (let i = 0; i < c.length; i += MAX_CHUNK) out.push(c.subarray(i, Math.min(c.length, i + MAX_CHUNK)));
  }
  return out;
}

/** Column values of a new job row, in the order of JOB_INSERT_COLUMNS. */
export const JOB_INSERT_COLUMNS = `id, status, name, version, description, context, error, user_name, is_sync,
  store_result_sync, canceled_by, job_attributes, command_id, command_name, cluster_id, cluster_name,
  command_criteria, cluster_criteria, created_at, updated_at, started_at, finished_at`;
/**
 * SQL values of created_at … finished_at for an insert (after the 18 job values; `$2` is the status): a job
 * inserted RUNNING (submitSync) has started, one inserted in a final status has finished — by the database clock.
 */
export function jobInsertTimes(now: string): string {
  const final = FINAL_JOB_STATUSES.map((s) => `'${s}'`).join(", ");
  return `${now}, ${now}, CASE WHEN $2 = 'RUNNING' THEN ${now} END, CASE WHEN $2 IN (${final}) THEN ${now} END`;
}
/** The InsertedJob of a `RETURNING seq, created_at, started_at, finished_at` row (undefined: none inserted). */
export function insertedJob(r: Row | undefined): InsertedJob | undefined {
  if (r === undefined) return undefined;
  return { seq: num(r?.seq), created_at: num(r?.created_at), started_at: numOrNull(r?.started_at), finished_at: numOrNull(r?.finished_at) };
}
export function jobInsertValues(job: NewJob): unknown[] {
  return [
    job.id,
    job.status,
    job.name,
    job.version,
    job.description,
    contextText(job.context),
    job.error,
    job.user,
    job.is_sync,
    job.store_result_sync,
    job.canceled_by,
    JSON.stringify(job.job_attributes),
    job.command_id,
    job.command_name,
    job.cluster_id,
    job.cluster_name,
    criteriaText(job.command_criteria),
    criteriaText(job.cluster_criteria),
  ];
}

/**
 * The job columns of a claimed job (alias `j`, the criteria among them) plus its client tags as one column
 * (`set_tags`: a JSON array text on SQLite, a text[] on PostgreSQL; binary order like fetchSets), and the registry
 * revision. `override` replaces columns (the claim's own new values).
 */
export function claimedJobColumns(engine: "sqlite" | "postgres", override: Record<string, string> = {}): string {
  const set = (table: string) =>
    engine === "sqlite"
      ? `(SELECT json_group_array(tag) FROM (SELECT tag FROM ${table} WHERE job_seq = j.seq ORDER BY tag))`
      : `ARRAY(SELECT tag FROM ${table} WHERE job_seq = j.seq ORDER BY tag)`;
  const cols = JOB_COLUMNS.split(",")
    .map((c) => c.trim())
    .map((c) => (override[c] ? `${override[c]} AS ${c}` : `j.${c}`));
  return [...cols, `${set("job_tags")} AS set_tags`, "(SELECT revision FROM registry_revision WHERE id = 1) AS registry_revision"].join(
    ", ",
  );
}

/** A ClaimedRow from a row of claimedJobColumns. */
export function claimedRow(r: Row, resumed: boolean): ClaimedRow {
  const set = (v: unknown): string[] => (typeof v === "string" ? (JSON.parse(v) as string[]) : ((v ?? []) as string[]));
  const job = jobFromRow(r, set(r.set_tags));
  return { seq: num(r.seq), resumed, job, registryRevision: num(r.registry_revision) };
}

/** Janitor candidates from the engines' STALE statements (columns seq, owner, heartbeat). */
export function staleRows(rows: Row[]): StaleRow[] {
  return rows.map((r) => ({
    seq: num(r.seq),
    owner: r.owner === null ? null : String(r.owner),
    heartbeat: numOrNull(r.heartbeat),
  }));
}
