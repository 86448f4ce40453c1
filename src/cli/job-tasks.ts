// `heimdall job tasks ID`: an ECS job's task timeline (GET /api/v1/job/{id}/tasks) as a slots × attempts table,
// and with --wide one row per attempt (times in UTC, exit code, capacity provider, stop reason).
import type { Palette } from "./colour.ts";
import { formatDuration, formatIsoTime, table } from "./format.ts";

type Obj = Record<string, unknown>;

interface Attempt {
  attempt?: number;
  status?: string;
  last_status?: string | null;
  exit_code?: number | null;
  task_arn?: string | null;
  capacity_provider?: string | null;
  spot_interruption?: boolean;
  stop_code?: string | null;
  stopped_reason?: string | null;
  failure?: string | null;
  created_at?: string | null;
  started_at?: string | null;
  stopped_at?: string | null;
  launch_errors?: number;
  last_launch_error?: string | null;
}

interface Slot {
  slot: number;
  task_name?: string;
  attempts: Attempt[];
}

/** One cell of the grid: `SUCCEEDED 0`, `FAILED 2`, `RUNNING`, `INTERRUPTED spot`, `LAUNCHING`. */
export function attemptCell(a: Attempt): string {
  const status = a.status ?? "?";
  if (status === "ACTIVE") return a.last_status ?? "ACTIVE";
  if (status === "INTERRUPTED" || a.spot_interruption === true) return `${status} spot`;
  if (typeof a.exit_code === "number") return `${status} ${a.exit_code}`;
  return status;
}

function cellColour(text: string, c: Palette): string {
  const word = text.split(" ")[0] ?? "";
  if (word === "SUCCEEDED") return c.green(text);
  if (word === "FAILED") return c.red(text);
  if (word === "STOPPED" || word === "INTERRUPTED") return c.yellow(text);
  if (word === "LAUNCHING" || word === "PROVISIONING" || word === "PENDING") return c.blue(text);
  return word === "" ? text : c.cyan(text);
}

function outcomeText(o: unknown): string {
  if (o === null || typeof o !== "object") return "running";
  const x = o as { kind?: string; slot?: number; error?: string };
  const where = typeof x.slot === "number" ? ` (slot ${x.slot})` : "";
  return `${x.kind ?? "?"}${where}${x.error ? `: ${x.error}` : ""}`;
}

function seconds(from: unknown, to: unknown): string {
  if (typeof from !== "string") return "";
  const a = Date.parse(from);
  const b = typeof to === "string" ? Date.parse(to) : Date.now();
  return Number.isFinite(a) && Number.isFinite(b) ? formatDuration((b - a) / 1000) : "";
}

/** The whole `job tasks` output: a summary line, the slots × attempts grid, and with `wide` the attempt rows. */
export function renderTasks(t: Obj, c: Palette, wide: boolean): string {
  const slots = (Array.isArray(t["slots"]) ? t["slots"] : []) as Slot[];
  const summary = [
    `cluster ${String(t["cluster_name"] ?? "?")}`,
    `${String(t["task_count"] ?? slots.length)} tasks`,
    `max_fail_count ${String(t["max_fail_count"] ?? "?")}`,
  ];
  if (typeof t["spot_interruptions"] === "number" && t["spot_interruptions"] > 0)
    summary.push(`${t["spot_interruptions"]} Spot interruptions`);
  summary.push(`outcome ${outcomeText(t["outcome"])}`);
  let out = `${summary.join(" · ")}\n`;
  if (slots.length === 0) return `${out}(no task launched yet)\n`;
  const maxAttempts = Math.max(1, ...slots.map((s) => s.attempts.length));
  const headers = ["SLOT", ...Array.from({ length: maxAttempts }, (_, i) => `ATTEMPT ${i + 1}`)];
  const rows = slots.map((s) => [String(s.slot), ...s.attempts.map(attemptCell)]);
  out += table(headers, rows, (text, _row, col) => (col === 0 ? text : cellColour(text, c)));
  if (!wide) return out;
  const detail = slots.flatMap((s) =>
    s.attempts.map((a) => [
      `${s.slot}.${a.attempt ?? "?"}`,
      attemptCell(a),
      a.capacity_provider ?? "",
      formatIsoTime(a.started_at ?? a.created_at),
      formatIsoTime(a.stopped_at),
      seconds(a.started_at, a.stopped_at),
      a.failure ?? a.stopped_reason ?? a.last_launch_error ?? "",
      a.task_arn ?? "",
    ]),
  );
  out += `\n${table(["TASK", "STATUS", "CAPACITY", "STARTED", "STOPPED", "DURATION", "REASON", "ARN"], detail, (text, _r, col) => (col === 1 ? cellColour(text, c) : text))}`;
  return out;
}
