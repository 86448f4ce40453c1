// The ECS task timeline of a job: GET /api/v1/job/{id}/tasks (the ecs plugin's tasks(job), typed by core's
// TaskTimeline) rendered as slots × attempts, each attempt's logs one click away
// (GET /api/v1/job/{id}/tasks/{slot}/logs?attempt=N).
import { h, type VNode } from "preact";
import { useState } from "preact/hooks";
import { isFinalStatus, type TaskAttempt, type TaskTimeline as TaskTimelineJson } from "../../../core/api-types.ts";
import { API, apiGet, enc, errorMessage } from "../api.ts";
import { CopyButton, DateText, ErrorAlert, ExternalLink, Fields, Section } from "../components.ts";
import { fmtDuration, taskStatusClass } from "../format.ts";
import { useAsync, useInterval } from "../hooks.ts";
import { cloudWatchStreamUrl, containerLogs, ecsConsoleUrl, isRealAws, parseTaskArn, type ContainerLog } from "./ecs-links.ts";
import { streamText } from "./live-logs.ts";

/** An attempt as its table row shows it: epoch seconds instead of ISO dates, "" for null, container exits as one text. */
export interface AttemptRow {
  attempt: number;
  task_arn: string;
  status: string;
  last_status: string;
  exit_code?: number;
  stop_code: string;
  stopped_reason: string;
  /** Why the attempt counts as failed, or the last launch error. */
  failure: string;
  containers: string;
  capacity_provider: string;
  spot_interruption: boolean;
  /** When the task started, or when it was created if it never started. */
  started_at?: number;
  stopped_at?: number;
}

/** Epoch seconds of an ISO 8601 date; undefined for null or an unreadable date. */
export function isoSeconds(iso: string | null | undefined): number | undefined {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t / 1000 : undefined;
}

export function attemptRow(a: TaskAttempt): AttemptRow {
  return {
    attempt: a.attempt,
    task_arn: a.task_arn ?? "",
    status: a.status,
    last_status: a.last_status ?? "",
    exit_code: a.exit_code ?? undefined,
    stop_code: a.stop_code ?? "",
    stopped_reason: a.stopped_reason ?? "",
    failure: a.failure ?? a.last_launch_error ?? "",
    containers: a.containers.map((c) => `${c.name}: exit ${c.exit_code ?? "—"}${c.reason ? ` (${c.reason})` : ""}`).join("; "),
    capacity_provider: a.capacity_provider ?? "",
    spot_interruption: a.spot_interruption || a.stop_code === "SpotInterruption",
    started_at: isoSeconds(a.started_at ?? a.created_at),
    stopped_at: isoSeconds(a.stopped_at),
  };
}

/** `failed: task 1 failed 3 times`; "" while the job runs. */
export const outcomeText = (o: TaskTimelineJson["outcome"]): string =>
  o ? [o.kind, "error" in o ? o.error : ""].filter(Boolean).join(": ") : "";

export function TaskTimeline(props: { jobId: string; jobStatus: string }): VNode<any> {
  const { jobId, jobStatus } = props;
  const final = isFinalStatus(jobStatus);
  const tasks = useAsync((signal) => apiGet<TaskTimelineJson>(`/job/${enc(jobId)}/tasks`, signal), [jobId, final]);
  useInterval(() => tasks.reload(), final ? 0 : 3000);
  const [open, setOpen] = useState<string | undefined>();
  const tl = tasks.data;
  const logsOf = containerLogs(tl);
  const slots = (tl?.slots ?? []).map((s) => ({ slot: s.slot, task_name: s.task_name, attempts: s.attempts.map(attemptRow) }));
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
            tl?.representative?.slot === s.slot && tl.representative.attempt === a.attempt
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
    tl !== undefined
      ? h(Fields, {
          rows: [
            ["Tasks", `${tl.task_count} in parallel, each retried up to ${tl.max_fail_count} times`],
            [
              "Spot interruptions",
              tl.spot_interruptions
                ? `${tl.spot_interruptions} (each slot retries up to ${tl.max_spot_interruptions ?? "?"} without spending a retry)`
                : undefined,
            ],
            ["ECS cluster", tl.cluster_name ?? ""],
            ["Task definition", tl.task_definition_arn ? h("code", { class: "id" }, tl.task_definition_arn) : undefined],
            ["Outcome", outcomeText(tl.outcome)],
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
