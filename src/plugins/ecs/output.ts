// After a job ends: the representative task's logs (stdout on success, stderr otherwise), the attempt table
// result, and outputs for cluster attribute templates.
import { once } from "node:events";
import type { Writable } from "node:stream";
import type { Json, Result } from "../../core/index.ts";
import type { Runtime } from "../contract.ts";
import { awsMessage } from "./aws.ts";
import type { Endpoint } from "./aws.ts";
import { copyCapped, firstBytes, taskLogChunks } from "./logs.ts";
import type { AttemptRecord, JobMeta, JobState, Outcome } from "./state.ts";
import { ecsStats } from "./stats.ts";

export const RESULT_COLUMNS: Result["columns"] = [
  { name: "task_name", type: "string" },
  { name: "task_num", type: "int" },
  { name: "attempt", type: "int" },
  { name: "task_arn", type: "string" },
  { name: "status", type: "string" },
  { name: "exit_code", type: "int" },
  { name: "stop_code", type: "string" },
  { name: "stopped_reason", type: "string" },
  { name: "started_at", type: "string" },
  { name: "stopped_at", type: "string" },
  { name: "capacity_provider", type: "string" },
];

/** One row per attempt, ordered by slot then attempt. */
export function attemptTable(attempts: AttemptRecord[]): Result {
  const rows = [...attempts].sort((a, b) => a.slot - b.slot || a.attempt - b.attempt);
  return {
    columns: RESULT_COLUMNS,
    data: rows.map((a): Json[] => [
      a.task_name,
      a.slot,
      a.attempt,
      a.task_arn,
      a.status,
      a.exit_code,
      a.stop_code,
      a.stopped_reason ?? a.failure,
      a.started_at,
      a.stopped_at,
      a.capacity_provider ?? null,
    ]),
  };
}

/**
 * Writes into a job output stream, first discarding the `stored` bytes an earlier, crashed execution of the job
 * already stored there: the copy is regenerated from the start and only its unstored remainder is written.
 */
export class ResumingSink {
  /** Bytes offered so far (stored earlier or written now): the position in the regenerated output. */
  private offered = 0;
  constructor(
    private readonly out: Writable,
    private readonly stored: number,
  ) {}

  readonly write = async (text: string): Promise<void> => {
    const buf = Buffer.from(text);
    const start = this.offered;
    this.offered += buf.length;
    if (this.offered <= this.stored) return;
    const rest = start >= this.stored ? buf : buf.subarray(this.stored - start);
    if (!this.out.write(rest)) await once(this.out, "drain");
  };
}

/** A log copy that failed: how many bytes of log text it had written, and the error line written after them. */
interface CopyFailure {
  at: number;
  line: string;
}
const COPY_FAILURE_KEY = "log-copy-failure";

async function loadCopyFailure(state: JobState): Promise<CopyFailure | undefined> {
  const rows = await state.store.list(state.jobId, COPY_FAILURE_KEY);
  const v = rows.find((r) => r.key === COPY_FAILURE_KEY)?.value as unknown as CopyFailure | undefined;
  return typeof v?.at === "number" && typeof v.line === "string" ? v : undefined;
}

/**
 * Writes the representative attempt's awslogs streams; log errors are reported on stderr, never fail the job.
 *
 * Crash safe (issue 8): the text is a function of the stored outcome and the task's log events, so a resumed
 * execution regenerates it and skips the bytes already stored (`rt.storedOutput`). A read error is recorded in
 * plugin state (bytes written, error line) before its line is written; a resumed execution replays exactly that
 * many bytes and the same line, whether or not the logs can be read now.
 */
export async function writeRepresentativeLogs(
  rt: Runtime,
  state: JobState,
  ep: Endpoint,
  meta: JobMeta,
  outcome: Outcome,
  rep: AttemptRecord | undefined,
  maxBytes: number,
  signal: AbortSignal,
): Promise<void> {
  if (rep?.task_arn == null) return;
  const stored = rt.storedOutput ?? { stdout: 0, stderr: 0 };
  const stderr = new ResumingSink(rt.stderr, stored.stderr);
  const out = outcome.kind === "succeeded" ? new ResumingSink(rt.stdout, stored.stdout) : stderr;
  let failure = rt.resumed ? await loadCopyFailure(state) : undefined;
  let copied = 0;
  const copy = async (text: string) => {
    const n = Buffer.byteLength(text);
    copied += n;
    await out.write(text);
    ecsStats.logBytesCopied(n);
  };
  const chunks = taskLogChunks(ep, meta.containers, rep.task_arn, signal);
  try {
    await copyCapped(failure === undefined ? chunks : firstBytes(chunks, failure.at), copy, maxBytes);
  } catch (err) {
    if (signal.aborted) throw err;
    if (failure === undefined) {
      failure = { at: copied, line: `ecs: failed to retrieve logs of ${rep.task_arn}: ${awsMessage(err)}\n` };
      await state.store.put(state.jobId, COPY_FAILURE_KEY, failure as unknown as Json);
    }
  }
  if (failure !== undefined) await stderr.write(failure.line);
}

export function setOutputs(rt: Runtime, meta: JobMeta, attempts: AttemptRecord[]): void {
  const latest = new Map<number, AttemptRecord>();
  for (const a of attempts) latest.set(a.slot, a);
  const arns = [...latest.values()].map((a) => a.task_arn).filter((x): x is string => x !== null);
  rt.setOutput("task_arns", arns.join(","));
  rt.setOutput(
    "all_task_arns",
    attempts
      .map((a) => a.task_arn)
      .filter((x): x is string => x !== null)
      .join(","),
  );
  rt.setOutput("cluster_name", meta.cluster_name);
  rt.setOutput("task_definition_arn", meta.task_definition_arn);
  const group = meta.containers.find((c) => c.log !== undefined)?.log?.group;
  if (group !== undefined) rt.setOutput("log_group", group);
  rt.setOutput("region", meta.region);
  rt.setOutput("spot_interruptions", String(attempts.filter((a) => a.spot_interruption === true).length));
}
