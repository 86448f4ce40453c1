// The ECS task timeline of a job: GET /api/v1/job/{id}/tasks (the ecs plugin's tasks(job)) rendered as slots ×
// attempts, each attempt's logs one click away (GET /api/v1/job/{id}/tasks/{slot}/logs?attempt=N).
// The JSON is read defensively (see docs/ui.md): snake_case or camelCase keys, epoch seconds/ms or ISO dates.
import { h, type VNode } from "preact";
import { useState } from "preact/hooks";
import { API, apiGet, enc, errorMessage, isFinal } from "../api.ts";
import { ErrorAlert, ExternalLink, Section } from "../components.ts";
import { fmtDate, fmtDuration, taskStatusClass } from "../format.ts";
import { useAsync, useInterval } from "../hooks.ts";

export interface Attempt {
  attempt: number;
  task_arn: string;
  status: string;
  exit_code?: number;
  stop_code: string;
  stopped_reason: string;
  started_at?: number;
  stopped_at?: number;
}

export interface Slot {
  slot: number;
  task_name: string;
  attempts: Attempt[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const pick = (o: Obj, ...keys: string[]): unknown => {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return o[k];
  return undefined;
};
const str = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");

/** Epoch seconds from epoch seconds, epoch milliseconds or an ISO date string. */
export function toEpochSeconds(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v) && v > 0) return v > 1e12 ? v / 1000 : v;
  if (typeof v === "string" && v) {
    const n = Number(v);
    if (Number.isFinite(n)) return toEpochSeconds(n);
    const t = Date.parse(v);
    return Number.isFinite(t) ? t / 1000 : undefined;
  }
  return undefined;
}

export function normalizeTasks(raw: unknown): Slot[] {
  const slots = Array.isArray(raw) ? raw : isObj(raw) ? (pick(raw, "slots", "tasks") ?? []) : [];
  if (!Array.isArray(slots)) return [];
  return slots.filter(isObj).map((s, i) => {
    const attempts = pick(s, "attempts", "history");
    const list = Array.isArray(attempts) ? attempts.filter(isObj) : [];
    const slotNo = Number(pick(s, "slot", "task_number", "taskNumber", "index") ?? i);
    return {
      slot: Number.isFinite(slotNo) ? slotNo : i,
      task_name: str(pick(s, "task_name", "taskName", "started_by", "startedBy")),
      attempts: list.map((a, j) => {
        const exit = pick(a, "exit_code", "exitCode");
        return {
          attempt: Number(pick(a, "attempt", "attempt_number") ?? j + 1) || j + 1,
          task_arn: str(pick(a, "task_arn", "taskArn", "arn")),
          status: str(pick(a, "status", "last_status", "lastStatus")).toUpperCase(),
          exit_code: typeof exit === "number" ? exit : undefined,
          stop_code: str(pick(a, "stop_code", "stopCode")),
          stopped_reason: str(pick(a, "stopped_reason", "stoppedReason", "reason")),
          started_at: toEpochSeconds(pick(a, "started_at", "startedAt", "created_at", "createdAt")),
          stopped_at: toEpochSeconds(pick(a, "stopped_at", "stoppedAt")),
        };
      }),
    };
  });
}

export function TaskTimeline(props: { jobId: string; jobStatus: string }): VNode<any> {
  const { jobId, jobStatus } = props;
  const final = isFinal(jobStatus);
  const tasks = useAsync((signal) => apiGet<unknown>(`/job/${enc(jobId)}/tasks`, signal), [jobId, final]);
  useInterval(() => tasks.reload(), final ? 0 : 3000);
  const [open, setOpen] = useState<string | undefined>();
  const slots = normalizeTasks(tasks.data);
  const all = slots.flatMap((s) => s.attempts);
  const now = Date.now() / 1000;
  const t0 = Math.min(...all.map((a) => a.started_at ?? now), now);
  const t1 = Math.max(...all.map((a) => a.stopped_at ?? (a.started_at ? now : t0)), t0 + 1);
  const span = t1 - t0;

  const rows: VNode<any>[] = [];
  for (const s of slots) {
    s.attempts.forEach((a, j) => {
      const key = `${s.slot}/${a.attempt}`;
      const end = a.stopped_at ?? (a.started_at && !final ? now : undefined);
      const left = a.started_at ? ((a.started_at - t0) / span) * 100 : 0;
      const width = a.started_at && end ? Math.max(1, ((end - a.started_at) / span) * 100) : 0;
      rows.push(
        h(
          "tr",
          { key, "data-slot": s.slot, "data-attempt": a.attempt },
          j === 0 ? h("th", { scope: "rowgroup", rowSpan: s.attempts.length, class: "slot" }, `#${s.slot}`, h("div", { class: "muted small" }, s.task_name)) : null,
          h("td", null, String(a.attempt)),
          h("td", null, h("code", { class: "arn", title: a.task_arn }, a.task_arn || "—")),
          h("td", null, h("span", { class: `status ${taskStatusClass(a.status)}` }, a.status || "—")),
          h("td", null, a.exit_code === undefined ? "—" : String(a.exit_code)),
          h("td", null, a.stop_code || "—"),
          h("td", { class: "reason" }, a.stopped_reason || "—"),
          h("td", { class: "nowrap" }, fmtDate(a.started_at)),
          h("td", { class: "nowrap" }, fmtDate(a.stopped_at)),
          h("td", null, a.started_at && end ? fmtDuration(end - a.started_at) : "—"),
          h(
            "td",
            { class: "bar-cell", "aria-hidden": "true" },
            width ? h("div", { class: `bar ${taskStatusClass(a.status)}`, style: { marginLeft: `${left}%`, width: `${Math.min(width, 100 - left)}%` } }) : null,
          ),
          h(
            "td",
            null,
            h(
              "button",
              { type: "button", class: "btn btn-small", "aria-expanded": open === key, onClick: () => setOpen(open === key ? undefined : key) },
              open === key ? "Hide logs" : `Logs #${s.slot}.${a.attempt}`,
            ),
          ),
        ),
      );
      if (open === key) {
        rows.push(h("tr", { key: `${key}-logs` }, h("td", { colSpan: 12 }, h(TaskLogs, { jobId, slot: s.slot, attempt: a.attempt }))));
      }
    });
  }

  return h(
    Section,
    { title: "ECS tasks", id: "tasks" },
    h(ErrorAlert, { error: tasks.error, title: "Task timeline" }),
    !slots.length && !tasks.loading && !tasks.error ? h("p", { class: "muted" }, "No tasks started yet.") : null,
    slots.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "table tasks", "aria-label": "ECS task attempts" },
            h(
              "thead",
              null,
              h(
                "tr",
                null,
                ["Slot", "Attempt", "Task ARN", "Status", "Exit code", "Stop code", "Reason", "Started", "Stopped", "Duration", "Timeline", "Logs"].map((c) =>
                  h("th", { key: c, scope: "col" }, c),
                ),
              ),
            ),
            h("tbody", null, rows),
          ),
        )
      : null,
  );
}

function TaskLogs(props: { jobId: string; slot: number; attempt: number }): VNode<any> {
  const url = `${API}/job/${enc(props.jobId)}/tasks/${props.slot}/logs?attempt=${props.attempt}`;
  const logs = useAsync(
    async (signal) => {
      const res = await fetch(url, { signal });
      const text = await res.text();
      if (!res.ok) {
        let msg = text;
        try {
          msg = (JSON.parse(text) as { error?: string }).error ?? text;
        } catch {
          // plain text
        }
        throw new Error(`${res.status}: ${msg}`);
      }
      return text;
    },
    [url],
  );
  return h(
    "div",
    { class: "log", "data-testid": `task-logs-${props.slot}-${props.attempt}` },
    h(
      "div",
      { class: "log-head" },
      h("h3", null, `Logs of task #${props.slot}, attempt ${props.attempt}`),
      h(ExternalLink, { href: url }, "Open in a new tab"),
    ),
    logs.error ? h("p", { class: "alert alert-error", role: "alert" }, errorMessage(logs.error)) : null,
    h("pre", { class: "log-text", tabIndex: 0 }, logs.loading ? "Loading…" : logs.data || "(no log lines)"),
  );
}
