// The ECS task timeline of a job: GET /api/v1/job/{id}/tasks (the ecs plugin's tasks(job)) rendered as slots ×
// attempts, each attempt's logs one click away (GET /api/v1/job/{id}/tasks/{slot}/logs?attempt=N).
// The JSON is read defensively (see docs/ui.md): snake_case or camelCase keys, epoch seconds/ms or ISO dates.
import { h, type VNode } from "preact";
import { useState } from "preact/hooks";
import { API, apiGet, enc, errorMessage, isFinal } from "../api.ts";
import { CopyButton, DateText, ErrorAlert, ExternalLink, Fields, Section } from "../components.ts";
import { fmtDuration, taskStatusClass } from "../format.ts";
import { useAsync, useInterval } from "../hooks.ts";
import { cloudWatchStreamUrl, containerLogs, ecsConsoleUrl, isRealAws, parseTaskArn, type ContainerLog } from "./ecs-links.ts";
import { streamText } from "./live-logs.ts";

export interface Attempt {
  attempt: number;
  task_arn: string;
  /** Heimdall's attempt status (LAUNCHING, ACTIVE, SUCCEEDED, FAILED, STOPPED, INTERRUPTED). */
  status: string;
  /** ECS lastStatus as last observed (PROVISIONING … STOPPED). */
  last_status: string;
  exit_code?: number;
  stop_code: string;
  stopped_reason: string;
  /** Why the attempt counts as failed, or the last launch error. */
  failure: string;
  containers: string;
  /** Capacity provider ECS placed the task on (FARGATE, FARGATE_SPOT); "" for a launch type. */
  capacity_provider: string;
  /** Stopped by a Fargate Spot interruption. */
  spot_interruption: boolean;
  created_at?: number;
  started_at?: number;
  stopped_at?: number;
}

export interface Timeline {
  slots: Slot[];
  task_count?: number;
  max_fail_count?: number;
  spot_interruptions?: number;
  max_spot_interruptions?: number;
  cluster_name: string;
  task_definition_arn: string;
  outcome: string;
  representative?: { slot: number; attempt: number };
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

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** Reads the plugin's timeline: `{slots:[{slot, task_name, attempts:[…]}], task_count, outcome, representative, …}`. */
export function normalizeTimeline(raw: unknown): Timeline {
  const o = isObj(raw) ? raw : {};
  const outcome = o["outcome"];
  const rep = o["representative"];
  return {
    slots: normalizeTasks(raw),
    task_count: num(o["task_count"]),
    max_fail_count: num(o["max_fail_count"]),
    spot_interruptions: num(o["spot_interruptions"]),
    max_spot_interruptions: num(o["max_spot_interruptions"]),
    cluster_name: str(o["cluster_name"]),
    task_definition_arn: str(o["task_definition_arn"]),
    outcome: isObj(outcome) ? [str(outcome["kind"]), str(outcome["error"])].filter(Boolean).join(": ") : str(outcome),
    representative:
      isObj(rep) && num(rep["slot"]) !== undefined ? { slot: num(rep["slot"]) ?? 0, attempt: num(rep["attempt"]) ?? 1 } : undefined,
  };
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
        const containers = pick(a, "containers");
        return {
          attempt: Number(pick(a, "attempt", "attempt_number") ?? j + 1) || j + 1,
          task_arn: str(pick(a, "task_arn", "taskArn", "arn")),
          status: str(pick(a, "status", "last_status", "lastStatus")).toUpperCase(),
          last_status: str(pick(a, "last_status", "lastStatus")).toUpperCase(),
          exit_code: typeof exit === "number" ? exit : undefined,
          stop_code: str(pick(a, "stop_code", "stopCode")),
          stopped_reason: str(pick(a, "stopped_reason", "stoppedReason", "reason")),
          failure: str(pick(a, "failure", "last_launch_error")),
          containers: Array.isArray(containers)
            ? containers
                .filter(isObj)
                .map((c) => `${str(c["name"])}: exit ${c["exit_code"] ?? "—"}${c["reason"] ? ` (${str(c["reason"])})` : ""}`)
                .join("; ")
            : "",
          capacity_provider: str(pick(a, "capacity_provider", "capacityProviderName", "capacityProvider")),
          spot_interruption:
            pick(a, "spot_interruption", "spotInterruption") === true || str(pick(a, "stop_code", "stopCode")) === "SpotInterruption",
          created_at: toEpochSeconds(pick(a, "created_at", "createdAt")),
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
  const tl = normalizeTimeline(tasks.data);
  const logsOf = containerLogs(tasks.data);
  const slots = tl.slots;
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
          j === 0 ? h("th", { scope: "rowgroup", rowSpan: s.attempts.length, class: "slot", title: s.task_name }, `#${s.slot}`) : null,
          h("td", null, String(a.attempt)),
          h(
            "td",
            null,
            h("span", { class: `status ${taskStatusClass(a.status)}`, "data-testid": "attempt-status" }, a.status || "—"),
            a.last_status && a.last_status !== a.status ? h("div", { class: "muted small", title: "ECS lastStatus" }, a.last_status) : null,
            a.capacity_provider
              ? h("div", { class: "muted small", title: "Capacity provider", "data-testid": "capacity-provider" }, a.capacity_provider)
              : null,
            a.spot_interruption
              ? h(
                  "div",
                  { class: "small", title: "Stopped by a Fargate Spot interruption", "data-testid": "spot-interruption" },
                  "Spot interruption",
                )
              : null,
            tl.representative?.slot === s.slot && tl.representative.attempt === a.attempt
              ? h("div", { class: "small rep", title: "This attempt's logs are the job's stdout/stderr" }, "★ representative")
              : null,
          ),
          h("td", { title: a.containers || undefined, "data-testid": "exit-code" }, a.exit_code === undefined ? "—" : String(a.exit_code)),
          h("td", { class: "date" }, h(DateText, { epoch: a.started_at })),
          h("td", { class: "date" }, h(DateText, { epoch: a.stopped_at })),
          h("td", null, a.started_at && end ? fmtDuration(end - a.started_at) : "—"),
          h(
            "td",
            { class: "bar-cell", "aria-hidden": "true" },
            width
              ? h("div", {
                  class: `bar ${taskStatusClass(a.status)}`,
                  style: { marginLeft: `${left}%`, width: `${Math.min(width, 100 - left)}%` },
                })
              : null,
          ),
          h("td", null, h(ArnCell, { arn: a.task_arn, slot: s.slot, attempt: a.attempt, logs: logsOf })),
          h(
            "td",
            { class: "reason" },
            a.stop_code ? h("code", { "data-testid": "stop-code" }, a.stop_code) : null,
            h("div", null, [a.stopped_reason, a.failure].filter(Boolean).join(" — ") || (a.stop_code ? "" : "—")),
          ),
          h(
            "td",
            null,
            h(
              "button",
              {
                type: "button",
                class: "btn btn-small",
                "aria-expanded": open === key,
                onClick: () => setOpen(open === key ? undefined : key),
              },
              open === key ? "Hide logs" : `Logs #${s.slot}.${a.attempt}`,
            ),
          ),
        ),
      );
    });
  }

  return h(
    Section,
    { title: "ECS tasks", id: "tasks" },
    h(ErrorAlert, { error: tasks.error, title: "Task timeline" }),
    tasks.data !== undefined
      ? h(Fields, {
          rows: [
            [
              "Tasks",
              tl.task_count === undefined
                ? undefined
                : `${tl.task_count} in parallel, each retried up to ${tl.max_fail_count ?? "?"} times`,
            ],
            [
              "Spot interruptions",
              tl.spot_interruptions
                ? `${tl.spot_interruptions} (each slot retries up to ${tl.max_spot_interruptions ?? "?"} without spending a retry)`
                : undefined,
            ],
            ["ECS cluster", tl.cluster_name],
            ["Task definition", tl.task_definition_arn ? h("code", { class: "id" }, tl.task_definition_arn) : undefined],
            ["Outcome", tl.outcome],
          ],
        })
      : null,
    !slots.length && !tasks.loading && !tasks.error ? h("p", { class: "muted" }, "No tasks started yet.") : null,
    slots.length
      ? h(
          "div",
          { class: "table-wrap", tabIndex: 0, role: "region", "aria-label": "ECS task attempts (scrolls)" },
          h(
            "table",
            { class: "table tasks", "aria-label": "ECS task attempts" },
            h(
              "thead",
              null,
              h(
                "tr",
                null,
                [
                  "Slot",
                  "Attempt",
                  "Status",
                  "Exit",
                  "Started",
                  "Stopped",
                  "Duration",
                  "Timeline",
                  "Task ARN",
                  "Stop code and reason",
                  "Logs",
                ].map((c) => h("th", { key: c, scope: "col" }, c)),
              ),
            ),
            h("tbody", null, rows),
          ),
        )
      : null,
    open ? h(TaskLogs, { key: open, jobId, slot: Number(open.split("/")[0]), attempt: Number(open.split("/")[1]), follow: !final }) : null,
  );
}

/** The task ARN (its end visible), a copy button, and for tasks on real AWS links to the ECS and CloudWatch consoles. */
function ArnCell(props: { arn: string; slot: number; attempt: number; logs: ContainerLog[] }): VNode<any> {
  const { arn } = props;
  if (!arn) return h("code", { class: "arn", "data-testid": "task-arn" }, "—");
  const parsed = parseTaskArn(arn);
  const what = `#${props.slot}.${props.attempt}`;
  return h(
    "div",
    { class: "arn-cell" },
    h("code", { class: "arn", title: arn, "data-testid": "task-arn" }, arn),
    " ",
    h(CopyButton, { text: arn, what: `task ARN ${what}` }),
    isRealAws(parsed)
      ? h(
          "div",
          { class: "small aws-links", "data-testid": "aws-links" },
          h(
            ExternalLink,
            { href: ecsConsoleUrl(parsed) },
            h("span", { "aria-hidden": "true" }, "ECS console"),
            h("span", { class: "sr-only" }, `Task ${what} in the ECS console`),
          ),
          props.logs.map((l) =>
            h(
              "span",
              { key: l.name },
              " · ",
              h(
                ExternalLink,
                { href: cloudWatchStreamUrl(parsed, l) },
                h("span", { "aria-hidden": "true" }, `${l.name} logs`),
                h("span", { class: "sr-only" }, `CloudWatch logs of ${l.name} in task ${what}`),
              ),
            ),
          ),
        )
      : null,
  );
}

/** One attempt's logs; while the job runs they follow live (`?follow=true`, the body streams as lines arrive). */
function TaskLogs(props: { jobId: string; slot: number; attempt: number; follow: boolean }): VNode<any> {
  const url = `${API}/job/${enc(props.jobId)}/tasks/${props.slot}/logs?attempt=${props.attempt}`;
  const [text, setText] = useState("");
  const logs = useAsync(
    async (signal) => {
      let all = "";
      setText("");
      await streamText(props.follow ? `${url}&follow=true` : url, signal, (chunk) => {
        all += chunk;
        setText(all);
      });
      return all;
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
    props.follow && logs.loading ? h("span", { class: "live", "data-testid": "task-logs-state" }, "● live") : null,
    h(
      "pre",
      { class: "log-text", tabIndex: 0, "aria-label": `Logs of task #${props.slot}, attempt ${props.attempt}` },
      text || (logs.loading ? (props.follow ? "" : "Loading…") : "(no log lines)"),
    ),
  );
}
