// The one Store contract (spec D13). Implementations: sqlite/ (single instance) and postgres/ (several instances).
// All methods are async; every method that changes a job status is a compare-and-set (spec 9.1).
import type {
  Cluster,
  Command,
  CommandFilter,
  Job,
  JobFile,
  JobFilter,
  JobProgress,
  JobStats,
  JobStatus,
  Json,
  Page,
  PageQuery,
  RegistryFilter,
  RegistryStatus,
} from "../core/index.ts";

export interface StoreCapabilities {
  /** PostgreSQL: several instances may share the database. SQLite: one process holds an exclusive lock. */
  multiInstance: boolean;
}

/** A job handed to a worker by claimJobs (`claim` for NEW jobs, `resumeClaim` for handed-back RUNNING jobs; docs/engine.md). */
export interface ClaimedJob {
  job: Job;
  /** true when the job was RUNNING and handed back (resume, `resumeClaim`). */
  resumed: boolean;
  /** The registry revision read with the claim (the runner resolves the job without reading it again). */
  registryRevision?: number;
}

/** Row returned by the heartbeat: jobs owned by the instance and their current status. */
export interface OwnedJobState {
  id: string;
  status: JobStatus;
}

/** A janitor candidate (spec 9.8). */
export interface StaleCandidate {
  job: Job;
  owner: string | null;
  heartbeat: number | null;
}

/** Compare-and-set transition (spec 9.1 table). Returns false when the guard matched nothing. */
export interface Transition {
  id: string;
  from: readonly JobStatus[];
  to: JobStatus;
  /** Guard: the claim must be owned by this instance. undefined = no owner guard. */
  owner?: string;
  error?: string;
  canceledBy?: string;
  jobAttributes?: Job["job_attributes"];
  /** Remove the claim record in the same transaction (final states). */
  removeClaim?: boolean;
  /** Clear the owner (`unclaim`: hand-back of an unstarted claim). */
  clearOwner?: boolean;
  /** Mark the job as started (runtime prepared, spec 9.4 step 3). */
  markStarted?: boolean;
  /** The job's result (JSON text), stored with the transition when its guard matches (`finish`: one write). */
  result?: string;
}

export type CancelOutcome = { kind: "canceling"; owner: string | null } | { kind: "final"; status: JobStatus } | { kind: "unknown" };

/** A job to insert; the store stamps its times (created/updated now, started/finished by its status). */
export interface NewJob extends Omit<Job, "created_at" | "updated_at" | "started_at" | "finished_at" | "progress"> {
  /** Claim owner: undefined for async jobs (unowned claim, `enqueue`), this instance for sync jobs (`submitSync`). */
  owner?: string;
  /**
   * Guard: insert only while the registry revision is this one (the job was routed with that registry); otherwise
   * nothing is stored and insertJob throws HeimdallError CONFLICT `store insertJob: registry changed`.
   */
  registryRevision?: number;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  readonly capabilities: StoreCapabilities;
  close(): Promise<void>;
  /** Database clock, epoch seconds. */
  now(): Promise<number>;
  /** Trivial query; rejects on failure. */
  ping(): Promise<void>;

  // ---- instances ----
  registerInstance(name: string): Promise<void>;
  removeInstance(name: string): Promise<void>;

  // ---- registry (commands, clusters); every write bumps the registry revision in the same transaction ----
  registryRevision(): Promise<number>;
  /** Insert or full-replace; keeps created_at of an existing row; sets updated_at = now. Returns the stored object. */
  putCommand(cmd: Omit<Command, "created_at" | "updated_at">): Promise<Command>;
  putCluster(cl: Omit<Cluster, "created_at" | "updated_at">): Promise<Cluster>;
  getCommand(id: string): Promise<Command | undefined>;
  getCluster(id: string): Promise<Cluster | undefined>;
  setCommandStatus(id: string, status: RegistryStatus, user: string): Promise<Command | undefined>;
  setClusterStatus(id: string, status: RegistryStatus, user: string): Promise<Cluster | undefined>;
  listCommands(filter: CommandFilter, page: PageQuery): Promise<Page<Command>>;
  listClusters(filter: RegistryFilter, page: PageQuery): Promise<Page<Cluster>>;
  /** Everything, for routing caches: all commands and clusters (any status) and the revision they belong to. */
  loadRegistry(): Promise<{ revision: number; commands: Command[]; clusters: Cluster[] }>;

  // ---- jobs ----
  /** `enqueue` (async, unowned claim) or `submitSync` (sync, claim owned by `owner`, status RUNNING) in one transaction. */
  insertJob(job: NewJob): Promise<Job>;
  getJob(id: string): Promise<Job | undefined>;
  listJobs(filter: JobFilter, page: PageQuery): Promise<Page<Job>>;
  /**
   * Stores a job's task summary (`progress` of the job object), or clears it with null. Does not change
   * updated_at. Unknown job: STORE error.
   */
  setJobProgress(jobId: string, progress: JobProgress | null): Promise<void>;
  /** The overview of GET /api/v1/stats since `since` (epoch seconds; default 24 h before the database clock). */
  jobStats(since?: number): Promise<JobStats>;
  /** `requestCancel`: NEW|ACCEPTED|RUNNING|CANCELING → CANCELING, canceled_by = by (when given). */
  cancelJob(id: string, by: string | undefined): Promise<CancelOutcome>;
  /** `claim`/`resumeClaim`: claim up to `limit` unowned NEW or handed-back RUNNING jobs, oldest first (SKIP LOCKED on PostgreSQL). */
  claimJobs(owner: string, limit: number): Promise<ClaimedJob[]>;
  /**
   * Ids of the ACCEPTED jobs whose claim `owner` holds, oldest first (at most `limit`). The pool looks for them
   * after a failed claim call whose commit is unknown: a claim whose answer was lost (docs/engine.md).
   */
  acceptedClaims(owner: string, limit: number): Promise<string[]>;
  /**
   * Generic compare-and-set (`start`, `unclaim`, `finish`, `kill`, `confirmCancel`, `failStale`, `failSetup`; the
   * table in docs/engine.md).
   */
  transition(t: Transition): Promise<boolean>;
  /** Hand-back at shutdown (D10): owner cleared, handed-back flag set; status stays RUNNING. Guard: owner. */
  handBack(id: string, owner: string): Promise<boolean>;
  /**
   * One statement: heartbeat the claims of `owner` and the instance record; returns those jobs' statuses.
   * With `jobIds`, only the claims of those jobs are refreshed (and returned): the ones the instance really runs,
   * so a claim it no longer works on goes stale and another janitor recovers it.
   */
  heartbeat(owner: string, jobIds?: readonly string[]): Promise<OwnedJobState[]>;
  /** Janitor selection (9.8): stale claims and unowned CANCELING jobs, oldest first, at most `limit`. */
  staleCandidates(staleSeconds: number, limit: number): Promise<StaleCandidate[]>;
  /** Take a claim over (CAS on observed owner and heartbeat). */
  takeOverClaim(id: string, observed: { owner: string | null; heartbeat: number | null }, owner: string): Promise<boolean>;
  /** Retention (9.9): delete up to `limit` final jobs with updated_at < cutoff, with all their rows. Returns count. */
  deleteFinishedJobs(cutoff: number, limit: number): Promise<number>;

  // ---- job files (9.11) ----
  /**
   * Append chunks (each ≤ 64 KiB) to a job's stdout/stderr. With `atOffset` (the file size the caller expects
   * before this append) the append is idempotent: when the file already ends with these bytes (an earlier try
   * committed although its answer was lost) nothing is added; a file of any other size is a STORE error.
   */
  appendFile(jobId: string, file: JobFile, chunks: Buffer[], atOffset?: number): Promise<void>;
  fileSize(jobId: string, file: JobFile): Promise<number>;
  /** Stream bytes [start, end) in order, fetching a bounded number of chunks at a time. */
  readFile(jobId: string, file: JobFile, start: number, end: number): AsyncIterable<Buffer>;
  putResult(jobId: string, resultJson: string): Promise<void>;
  getResult(jobId: string): Promise<string | undefined>;

  // ---- plugin state: durable per-job key/value rows a plugin owns (ECS task attempts) ----
  putPluginState(jobId: string, key: string, value: Json): Promise<void>;
  /** All rows of a job whose key starts with `prefix` (all when omitted), ordered by key. */
  listPluginState(jobId: string, prefix?: string): Promise<{ key: string; value: Json }[]>;

  // ---- wake-ups ----
  /** Signals that claimable jobs may exist (PostgreSQL LISTEN/NOTIFY across instances; in-process on SQLite). */
  onJobsAvailable(listener: () => void): () => void;
  /** Called by the submit path after an async insert; NOTIFY on PostgreSQL, local emit on SQLite. */
  notifyJobsAvailable(): Promise<void>;
}

export interface OpenStoreOptions {
  connectionString: string; // "sqlite:<path>" | "postgres://…"
  maxConnections?: number;
  /** Milliseconds per statement before it is abandoned. */
  statementTimeoutMs?: number;
}
