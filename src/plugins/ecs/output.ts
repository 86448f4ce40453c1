// After a job ends: the representative task's logs (stdout on success, stderr otherwise), the attempt table
// result, and outputs for cluster attribute templates.
import type { Json, Result } from "../../core/index.ts";
import type { Runtime } from "../contract.ts";
import { awsMessage } from "./aws.ts";
import type { Endpoint } from "./aws.ts";
import { copyCapped, taskLogChunks, writeText } from "./logs.ts";
import type { AttemptRecord, JobMeta, Outcome } from "./state.ts";

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
    ]),
  };
}

/** Writes the representative attempt's awslogs streams; log errors are reported on stderr, never fail the job. */
export async function writeRepresentativeLogs(
  rt: Runtime,
  ep: Endpoint,
  meta: JobMeta,
  outcome: Outcome,
  rep: AttemptRecord | undefined,
  maxBytes: number,
  signal: AbortSignal,
): Promise<void> {
  if (rep?.task_arn == null) return;
  const out = outcome.kind === "succeeded" ? rt.stdout : rt.stderr;
  try {
    await copyCapped(taskLogChunks(ep, meta.containers, rep.task_arn, signal), out, maxBytes);
  } catch (err) {
    if (signal.aborted) throw err;
    await writeText(rt.stderr, `ecs: failed to retrieve logs of ${rep.task_arn}: ${awsMessage(err)}\n`);
  }
}

export function setOutputs(rt: Runtime, meta: JobMeta, attempts: AttemptRecord[]): void {
  const latest = new Map<number, AttemptRecord>();
  for (const a of attempts) latest.set(a.slot, a);
  const arns = [...latest.values()].map((a) => a.task_arn).filter((x): x is string => x !== null);
  rt.setOutput("task_arns", arns.join(","));
  rt.setOutput("all_task_arns", attempts.map((a) => a.task_arn).filter((x): x is string => x !== null).join(","));
  rt.setOutput("cluster_name", meta.cluster_name);
  rt.setOutput("task_definition_arn", meta.task_definition_arn);
  const group = meta.containers.find((c) => c.log !== undefined)?.log?.group;
  if (group !== undefined) rt.setOutput("log_group", group);
  rt.setOutput("region", meta.region);
}
