// Chaos jobs: what is submitted (ping, shell, ECS), what an uninterrupted run gives, and the checks of a final
// job against it — output, side effects (duplicate executions, work after the job was final), ECS result
// table and timeline. Used by bench/chaos.ts and test/chaos/job-path-chaos.test.ts.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FINAL, USER, anyInstance } from "./stack.ts";
import type { Serve } from "./stack.ts";

export type Kind = "ping" | "shell" | "ecs";

export interface JobSpec {
  kind: Kind;
  /** shell: seconds to sleep; ecs: CHAOS_SLEEP. */
  sleep: number;
  /** shell: the echoed text. */
  text: string;
  /** ecs: number of lines printed. */
  lines: number;
  /** ecs: exit code of the task (0 = succeed). */
  exit: number;
  /** ecs: CHAOS_TAG in the container environment, for local ECS fault rules that match one job (match.env). */
  tag?: string;
}

export interface Tracked {
  id: string;
  spec: JobSpec;
  submittedAt: number;
  /** When this harness first saw the job final (epoch ms). */
  finalSeenAt?: number;
  job?: Record<string, any>;
}

export function submitBody(spec: JobSpec, extraContext: Record<string, unknown> = {}): Record<string, unknown> {
  switch (spec.kind) {
    case "ping":
      return { name: "chaos-ping", version: "1", command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] };
    case "shell":
      return {
        name: "chaos-shell",
        version: "1",
        command_criteria: ["type:chaos-shell"],
        cluster_criteria: ["type:localhost"],
        context: { arguments: [String(spec.sleep), spec.text] },
      };
    case "ecs": {
      const environment = [
        { name: "CHAOS_LINES", value: String(spec.lines) },
        { name: "CHAOS_SLEEP", value: String(spec.sleep) },
        { name: "CHAOS_EXIT", value: String(spec.exit) },
        ...(spec.tag === undefined ? [] : [{ name: "CHAOS_TAG", value: spec.tag }]),
      ];
      return {
        name: "chaos-ecs",
        version: "1",
        command_criteria: ["type:chaos-ecs"],
        cluster_criteria: ["type:fargate"],
        context: { container_overrides: [{ name: "main", environment }], ...extraContext },
      };
    }
  }
}

export async function submit(serves: Serve[], spec: JobSpec, extraContext: Record<string, unknown> = {}): Promise<Tracked> {
  const r = await anyInstance(serves, "POST", "/api/v1/job", submitBody(spec, extraContext), 120_000);
  if (r.status !== 200 || typeof r.json?.id !== "string") throw new Error(`submit ${spec.kind}: ${r.status} ${r.text}`);
  return { id: r.json.id, spec, submittedAt: Date.now() };
}

/** Polls until every job is final or `deadline` (epoch ms) passes; fills `job` and `finalSeenAt`. */
export async function waitFinal(serves: Serve[], jobs: Tracked[], deadline: number, pollMs = 1000): Promise<void> {
  for (;;) {
    const open = jobs.filter((j) => j.finalSeenAt === undefined);
    for (let i = 0; i < open.length; i += 25) {
      await Promise.all(
        open.slice(i, i + 25).map(async (t) => {
          const r = await anyInstance(serves, "GET", `/api/v1/job/${t.id}`, undefined, 30_000).catch(() => undefined);
          if (r?.status !== 200) return;
          t.job = r.json;
          if (FINAL.includes(r.json.status)) t.finalSeenAt = Date.now();
        }),
      );
    }
    if (jobs.every((j) => j.finalSeenAt !== undefined) || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export type Category = "stuck" | "duplicate" | "wrong";
export interface Problem {
  id: string;
  kind: Kind;
  category: Category;
  why: string;
}

/** Side-effect lines of a file: `<key> <epoch ms>`. */
function sideEffects(sideDir: string, name: string): number[] {
  const f = join(sideDir, name);
  if (!existsSync(f)) return [];
  return readFileSync(f, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => Number(l.trim().split(" ").pop()));
}

/** Job-level time by which the job was surely final: the earlier of its updated_at (s, rounded up) and our first sight. */
function finalBy(t: Tracked): number {
  const upd = typeof t.job?.updated_at === "number" ? (t.job.updated_at + 1) * 1000 : Infinity;
  return Math.min(upd, t.finalSeenAt ?? Infinity);
}

const ECS_LINE = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] (.*)$/;

/** Checks ECS log text: exactly one `=== ecs/main/<taskId> ===` header, then `line 1..n` once, in order. */
export function ecsLogProblem(text: string, taskId: string | undefined, n: number): string | undefined {
  const lines = text.split("\n");
  if (lines.at(-1) !== "") return `does not end with a line break (${text.length} bytes)`;
  lines.pop();
  const headers = lines.filter((l) => l.startsWith("=== "));
  if (headers.length !== 1) return `${headers.length} stream headers: ${JSON.stringify(headers.slice(0, 3))}`;
  if (taskId !== undefined && lines[0] !== `=== ecs/main/${taskId} ===`)
    return `first line ${JSON.stringify(lines[0])}, expected the header of task ${taskId}`;
  if (lines[1] !== "") return "no blank line after the header";
  const body = lines.slice(2);
  if (body.length !== n) return `${body.length} log lines, expected ${n}`;
  for (let i = 0; i < n; i++) {
    const m = ECS_LINE.exec(body[i]!);
    if (m?.[1] !== `line ${i + 1}`) return `log line ${i + 1} is ${JSON.stringify(body[i]!.slice(0, 80))}`;
  }
  return undefined;
}

async function file(serves: Serve[], id: string, name: string): Promise<string> {
  const r = await anyInstance(serves, "GET", `/api/v1/job/${id}/${name}`, undefined, 60_000);
  return r.status === 200 ? r.text : `<${r.status}>`;
}

/**
 * Everything wrong with one job after the wait: not final (stuck); work that ran twice or after the job was
 * already final (duplicate — resubmitting such a FAILED job runs the work twice, issue 8 item 5); output that
 * differs from an uninterrupted run, or a broken ECS result table / timeline (wrong).
 */
export async function check(serves: Serve[], t: Tracked, sideDir: string): Promise<Problem[]> {
  const out: Problem[] = [];
  const p = (category: Category, why: string) => out.push({ id: t.id, kind: t.spec.kind, category, why });
  const status = t.job?.status as string | undefined;
  if (t.finalSeenAt === undefined || status === undefined) {
    p("stuck", `still ${status ?? "unknown"} at the deadline`);
    return out;
  }
  const { kind } = t.spec;
  const [stdout, stderr] = await Promise.all([file(serves, t.id, "stdout"), file(serves, t.id, "stderr")]);
  if (kind === "ping") {
    if (status === "SUCCEEDED") {
      const r = await anyInstance(serves, "GET", `/api/v1/job/${t.id}/result`);
      if (JSON.stringify(r.json?.data) !== JSON.stringify([[`Hello, ${USER}!`]])) p("wrong", `result ${r.text.slice(0, 200)}`);
    }
    if (stdout !== "" || stderr !== "")
      p("wrong", `ping wrote stdout ${JSON.stringify(stdout.slice(0, 80))} stderr ${JSON.stringify(stderr.slice(0, 80))}`);
    return out;
  }
  if (kind === "shell") {
    const expected = `begin ${t.spec.text}\nend ${t.spec.text}\n`;
    const runs = sideEffects(sideDir, t.id);
    if (runs.length > 1) p("duplicate", `the shell work ran ${runs.length} times`);
    const late = runs.filter((ms) => ms > finalBy(t) + 200);
    if (late.length > 0)
      p("duplicate", `the shell work ran ${late[0]! - finalBy(t)} ms after the job was ${status} (its process outlived the job)`);
    if (status === "SUCCEEDED") {
      if (stdout !== expected) p("wrong", `stdout ${JSON.stringify(stdout.slice(0, 200))}, expected ${JSON.stringify(expected)}`);
      if (runs.length === 0) p("wrong", "SUCCEEDED but the work never ran");
    } else if (!expected.startsWith(stdout))
      p("wrong", `${status} with stdout ${JSON.stringify(stdout.slice(0, 200))}, not a prefix of ${JSON.stringify(expected)}`);
    if (stderr !== "") p("wrong", `stderr ${JSON.stringify(stderr.slice(0, 200))}`);
    return out;
  }
  // ECS
  const tl = await anyInstance(serves, "GET", `/api/v1/job/${t.id}/tasks`);
  const slots = (tl.json?.slots ?? []) as Array<{ slot: number; task_name: string; attempts: Array<Record<string, any>> }>;
  const attempts = slots.flatMap((s) => s.attempts);
  const runs = sideEffects(sideDir, `heimdall-job-${t.id}-0`);
  const launched = attempts.filter((a) => a.task_arn !== null).length;
  if (runs.length > 1 && (t.spec.exit === 0 || runs.length > launched))
    p("duplicate", `slot 0 ran ${runs.length} tasks (${launched} attempts with an ARN in the timeline)`);
  const late = runs.filter((ms) => ms > finalBy(t) + 200);
  if (late.length > 0) p("duplicate", `a task of slot 0 started ${late[0]! - finalBy(t)} ms after the job was ${status}`);
  for (const a of attempts) {
    if (a.last_status !== "STOPPED" && a.task_arn !== null)
      p(
        "wrong",
        `timeline: attempt ${a.slot}/${a.attempt} last_status ${a.last_status} exit_code ${a.exit_code} (${a.status}) after the job ended`,
      );
  }
  const rep = tl.json?.representative as { slot: number; attempt: number } | null | undefined;
  const repArn = attempts.find((a) => rep && a.slot === rep.slot && a.attempt === rep.attempt)?.task_arn as string | undefined;
  const taskId = repArn?.slice(repArn.lastIndexOf("/") + 1);
  const expectSucceed = t.spec.exit === 0;
  if (status === "SUCCEEDED") {
    if (!expectSucceed) p("wrong", "SUCCEEDED although its task exits non-zero");
    const why = ecsLogProblem(stdout, taskId, t.spec.lines);
    if (why) p("wrong", `stdout: ${why}`);
    if (stderr !== "") p("wrong", `stderr ${JSON.stringify(stderr.slice(0, 200))}`);
  } else if (status === "FAILED") {
    if (expectSucceed) p("wrong", `FAILED: ${String(t.job?.error).slice(0, 300)}`);
    else {
      const why = ecsLogProblem(stderr, taskId, t.spec.lines);
      if (why) p("wrong", `stderr: ${why}`);
    }
    // Issue 8 item 8: a FAILED ECS job keeps its attempt table as the result.
    const r = await anyInstance(serves, "GET", `/api/v1/job/${t.id}/result`);
    const rows = (r.json?.data ?? []) as unknown[];
    if (r.status !== 200 || rows.length !== attempts.length)
      p("wrong", `FAILED job's /result: ${r.status}, ${rows.length} rows for ${attempts.length} attempts`);
  } else p("wrong", `ended ${status}: ${String(t.job?.error ?? "").slice(0, 200)}`);
  return out;
}
