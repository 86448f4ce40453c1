// Assembles the Store contract from the Db port, the shared SQL modules and an engine's hot paths.
import { HeimdallError, finalTags, sortTagSet } from "../../core/index.ts";
import type { Job } from "../../core/index.ts";
import type { ClaimedJob, NewJob, StaleCandidate, Store, StoreCapabilities } from "../contract.ts";
import type { Db } from "./db.ts";
import { num } from "./db.ts";
import * as files from "./files.ts";
import type { HotOps } from "./hot-ops.ts";
import { splitChunks } from "./hot-ops.ts";
import * as jobs from "./jobs.ts";
import { listJobs } from "./job-list.ts";
import { jobStats } from "./job-stats.ts";
import * as registry from "./registry.ts";

export interface Wakeups {
  onJobsAvailable(listener: () => void): () => void;
  notifyJobsAvailable(): Promise<void>;
}

export interface SqlStoreParts {
  kind: Store["kind"];
  capabilities: StoreCapabilities;
  db: Db;
  hot: HotOps;
  wakeups: Wakeups;
  /**
   * The registry revision is kept in memory between registry writes (SQLite: this process holds the database
   * alone, so it sees every write). PostgreSQL reads it (other instances write too).
   */
  revisionInMemory?: boolean;
  close(): Promise<void>;
}

export function createSqlStore(p: SqlStoreParts): Store {
  const { db, hot } = p;
  let closed: Promise<void> | undefined;
  // In-memory registry revision (revisionInMemory): dropped when a registry write starts and again when it ends; a
  // read caches its answer only when no write started or ran meanwhile.
  let revision: number | undefined;
  let registryWrites = 0;
  let registryGeneration = 0;
  async function registryWrite<T>(write: () => Promise<T>): Promise<T> {
    registryWrites++;
    registryGeneration++;
    revision = undefined;
    try {
      return await write();
    } finally {
      registryWrites--;
      registryGeneration++;
      revision = undefined;
    }
  }
  async function registryRevision(): Promise<number> {
    if (revision !== undefined) return revision;
    const generation = registryGeneration;
    const read = await registry.registryRevision(db);
    if (p.revisionInMemory && registryWrites === 0 && generation === registryGeneration) revision = read;
    return read;
  }
  /** Pairs hot-path rows with their jobs (one query), in row order; a row whose job is gone is left out. */
  async function withJobs<R extends { seq: number }, T>(op: string, rows: R[], pair: (job: Job, r: R) => T): Promise<T[]> {
    const bySeq = await jobs.getJobsBySeq(
      db,
      op,
      rows.map((r) => r.seq),
    );
    return rows.flatMap((r) => {
      const job = bySeq.get(r.seq);
      return job ? [pair(job, r)] : [];
    });
  }
  return {
    kind: p.kind,
    capabilities: p.capabilities,
    close: () => (closed ??= p.close()),
    now: async () => num((await db.query("now", `SELECT ${db.dialect.now} AS now`))[0]?.now),
    ping: async () => {
      await db.query("ping", "SELECT 1 AS one");
    },

    registerInstance: (name) => jobs.registerInstance(db, name),
    removeInstance: (name) => jobs.removeInstance(db, name),

    registryRevision,
    putCommand: (cmd) => registryWrite(() => registry.putCommand(db, cmd)),
    putCluster: (cl) => registryWrite(() => registry.putCluster(db, cl)),
    getCommand: (id) => registry.getCommand(db, id),
    getCluster: (id) => registry.getCluster(db, id),
    setCommandStatus: (id, s, u) => registryWrite(() => registry.setCommandStatus(db, id, s, u)),
    setClusterStatus: (id, s, u) => registryWrite(() => registry.setClusterStatus(db, id, s, u)),
    listCommands: (f, page) => registry.listCommands(db, f, page),
    listClusters: (f, page) => registry.listClusters(db, f, page),
    loadRegistry: () => registry.loadRegistry(db),

    async insertJob(job: NewJob): Promise<Job> {
      const sets = {
        tags: finalTags(job.tags, job.id, job.name, job.version), // the system tags follow the columns
        command_criteria: sortTagSet(job.command_criteria),
        cluster_criteria: sortTagSet(job.cluster_criteria),
      };
      const ins = await hot.insertJob(db, { ...job, ...sets });
      if (ins === undefined) throw new HeimdallError("CONFLICT", "store insertJob: registry changed");
      const { owner: _owner, registryRevision: _revision, ...fields } = job;
      return {
        ...fields,
        ...sets,
        created_at: ins.created_at,
        updated_at: ins.created_at,
        started_at: ins.started_at,
        finished_at: ins.finished_at,
      };
    },
    getJob: (id) => jobs.getJob(db, id),
    listJobs: (f, page) => listJobs(db, f, page),
    setJobProgress: (id, progress) => jobs.setJobProgress(db, id, progress),
    jobStats: (since) => jobStats(db, since),
    cancelJob: (id, by) => jobs.cancelJob(db, id, by),
    claimJobs: async (owner, limit): Promise<ClaimedJob[]> =>
      (await hot.claimJobs(db, owner, limit)).map((r) => ({ job: r.job, resumed: r.resumed, registryRevision: r.registryRevision })),
    acceptedClaims: (owner, limit) => jobs.acceptedClaims(db, owner, limit),
    transition: (t) => hot.transition(db, t),
    handBack: (id, owner) => jobs.handBack(db, id, owner),
    heartbeat: (owner, jobIds) => hot.heartbeat(db, owner, jobIds),
    staleCandidates: async (staleSeconds, limit): Promise<StaleCandidate[]> =>
      withJobs("staleCandidates", await hot.staleCandidates(db, staleSeconds, limit), (job, r) => ({
        job,
        owner: r.owner,
        heartbeat: r.heartbeat,
      })),
    takeOverClaim: (id, observed, owner) => hot.takeOverClaim(db, id, observed, owner),
    deleteFinishedJobs: (cutoff, limit) => jobs.deleteFinishedJobs(db, cutoff, limit),

    async appendFile(jobId, file, chunks, atOffset): Promise<void> {
      const parts = splitChunks(chunks);
      if (parts.length === 0) return;
      const seq = await files.jobSeq(db, "appendFile", jobId);
      if (seq === undefined) throw new HeimdallError("STORE", `store appendFile: unknown job ${jobId}`);
      await hot.appendFile(db, seq, file, parts, atOffset);
    },
    fileSize: (jobId, file) => files.fileSize(db, jobId, file),
    readFile: (jobId, file, start, end) => files.readFile(db, jobId, file, start, end),
    putResult: (jobId, json) => files.putResult(db, jobId, json),
    getResult: (jobId) => files.getResult(db, jobId),
    putPluginState: (jobId, key, value) => files.putPluginState(db, jobId, key, value),
    listPluginState: (jobId, prefix) => files.listPluginState(db, jobId, prefix),

    onJobsAvailable: (listener) => p.wakeups.onJobsAvailable(listener),
    notifyJobsAvailable: () => p.wakeups.notifyJobsAvailable(),
  };
}
