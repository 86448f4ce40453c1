// Plugin contract (spec 10.2) with Heimdall-TS extensions: services given to create(), optional task views.
import type { Writable } from "node:stream";
import type {
  Cluster,
  Command,
  Job,
  JobLogItem,
  JobProgress,
  Json,
  JsonObject,
  Result,
  TaskAttempt,
  TaskOutcome,
  TaskTimeline,
} from "../core/index.ts";

/** The task views' JSON shapes are core's (src/core/api-types.ts, shared with the web UI). */
export type { JobLogItem, TaskAttempt, TaskOutcome, TaskTimeline };

export type AbortKind = "cancel" | "shutdown" | "handback" | "lost";
export interface AbortReason {
  kind: AbortKind;
  /** Identity that canceled, when known. */
  by?: string;
}

export interface Runtime {
  /**
   * `<jobs_directory>/<job id>`, created (mode 0700) before execute and deleted after the job's final status; empty
   * when the plugin module declares `workingDirectory: false` (nothing is created then).
   */
  readonly workingDirectory: string;
  readonly version: string;
  readonly userAgent: string;
  /** true when continuing a handed-back or interrupted job. */
  readonly resumed: boolean;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /**
   * Bytes of stdout/stderr already stored when execute was called: 0 for a fresh job, the earlier execution's
   * stored output for a resumed one (the streams continue after it). Absent means 0 (e.g. plugin unit tests).
   */
  readonly storedOutput?: { readonly stdout: number; readonly stderr: number };
  setResult(result: Result): void;
  setOutput(key: string, value: string): void;
  /**
   * Stores a short summary of the job's tasks on the job (`progress` in the API; null clears it). Writes are applied
   * in call order and retried while the database is unreachable; the promise never rejects — a progress that cannot
   * be stored is logged and never fails the job. The engine always provides it; absent only in plugin unit tests.
   */
  setProgress?(progress: JobProgress | null): Promise<void>;
}

/** Durable per-job key/value state owned by a plugin (backed by the Store). */
export interface PluginState {
  put(jobId: string, key: string, value: Json): Promise<void>;
  list(jobId: string, prefix?: string): Promise<{ key: string; value: Json }[]>;
}

export interface PluginLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** What the server gives a plugin when creating a handler. */
export interface PluginServices {
  state: PluginState;
  log: PluginLogger;
  /** Server build version. */
  version: string;
  /** This instance's name (the shell plugin writes it into its process records). */
  instanceName?: string;
  /** Absolute jobs_directory: a job's working directory is `<jobsDirectory>/<job id>` (shell cleanup, issue 8). */
  jobsDirectory?: string;
  /**
   * Set when the command was created through the API (its definition is not the configuration file's): files named
   * in its context must lie under one of these absolute directories (`template_roots`). Absent: trusted command.
   */
  templateRoots?: readonly string[];
}

export interface Handler {
  execute(signal: AbortSignal, rt: Runtime, job: Readonly<Job>, cluster: Readonly<Cluster>): Promise<void>;
  cleanup(jobId: string, cluster: Readonly<Cluster> | undefined, signal: AbortSignal): Promise<void>;
  healthCheck?(cluster: Readonly<Cluster>, signal: AbortSignal): Promise<void>;
  /** Throws (message → 400 at submit) when the job context is invalid for this command and cluster. */
  validateJobContext?(jobContext: JsonObject | undefined, cluster: Readonly<Cluster>): void;
  /** Optional: the job's external task timeline (ECS attempts), served at GET /api/v1/job/{id}/tasks. */
  tasks?(job: Readonly<Job>): Promise<TaskTimeline>;
  /** Optional: stream one task attempt's logs, served at GET /api/v1/job/{id}/tasks/{slot}/logs. */
  taskLogs?(job: Readonly<Job>, cluster: Readonly<Cluster> | undefined, q: TaskLogsQuery, signal: AbortSignal): AsyncIterable<string>;
  /**
   * Optional: every task attempt's log lines of the job, served at GET /api/v1/job/{id}/logs (issue 9). Throws
   * HeimdallError BAD_REQUEST synchronously for an invalid cursor.
   */
  jobLogs?(job: Readonly<Job>, q: JobLogsQuery, signal: AbortSignal): AsyncIterable<JobLogItem>;
}

/** What GET …/tasks/{slot}/logs asks for: the slot's latest attempt unless `attempt` is given. */
export interface TaskLogsQuery {
  slot: number;
  attempt?: number;
  follow: boolean;
  /**
   * The job's current status (read from the store). With `follow`, a slot or attempt the plugin has not recorded yet
   * is waited for while the job is not final (the job turns RUNNING before its first task is launched).
   */
  jobStatus?: () => Promise<string>;
}

export interface JobLogsQuery {
  follow: boolean;
  /** Opaque cursor of an earlier line: resume right after it. */
  cursor?: string;
  /** Only this task slot. */
  slot?: number;
  /** While following: a heartbeat item after this long without output (the API uses 15 s). */
  heartbeatMs?: number;
  /** The job's current status (read from the store): the stream ends once it is final and all logs are read. */
  jobStatus: () => Promise<string>;
}

export interface PluginModule {
  name: string;
  resumable?: boolean;
  /**
   * Whether each job gets a working directory (default true). A plugin that writes no files (ping, ECS) declares
   * false: the engine then creates and deletes nothing for its jobs (a directory costs several system calls).
   */
  workingDirectory?: boolean;
  /**
   * Optional: throws when a cluster context is invalid for this plugin (config load error, or 400
   * `context: <message>` on PUT of the cluster). Called for every cluster with every plugin's check.
   */
  validateClusterContext?(clusterContext: JsonObject): void;
  /** Throws when the command context is invalid (startup error, or 400 `context: <message>` on PUT). */
  create(commandContext: JsonObject, command: Readonly<Command>, services: PluginServices): Handler | Promise<Handler>;
}
