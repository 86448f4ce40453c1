// Job details /jobs/{id} (spec 12): info pane, error, context, tags, criteria, result, live stdout/stderr,
// the ECS task timeline for jobs of an `ecs` command, and Cancel with confirmation.
import { h, type VNode } from "preact";
import { useState } from "preact/hooks";
import { isFinalStatus, type CommandJson as Command, type JobJson as Job, type JobStatus, type Result } from "../../../core/api-types.ts";
import { API, ApiError, apiGet, apiSend, enc, errorMessage } from "../api.ts";
import {
  Breadcrumbs,
  ConfirmDialog,
  Copyable,
  ErrorAlert,
  ExternalLink,
  Fields,
  JsonBlock,
  Loading,
  Properties,
  Section,
  StatusTag,
  TagList,
  safeHref,
} from "../components.ts";
import { fmtDate, trim } from "../format.ts";
import { toast, useAsync, useInterval, useRefreshTick } from "../hooks.ts";
import { navigate } from "../router.ts";
import { highlightSql } from "../sql.ts";
import { JobDurationText, progressText } from "./lists.ts";
import { LiveTaskLogs } from "./live-logs.ts";
import { LogViewer } from "./log-viewer.ts";
import { TaskTimeline } from "./task-timeline.ts";

const LIVE_POLL_MS = 2000;
/** Statuses that show the Cancel button (a CANCELING job is already being canceled). */
const CANCELABLE_JOB_STATUSES: readonly JobStatus[] = ["NEW", "ACCEPTED", "RUNNING"];

export function JobDetailPage(props: { id: string }): VNode<any> {
  const { id } = props;
  const tick = useRefreshTick();
  const job = useAsync((signal) => apiGet<Job>(`/job/${enc(id)}`, signal), [id, tick]);
  const j = job.data;
  // The task timeline exists for jobs of `ecs` commands; the command tells which plugin ran the job.
  const commandId = j?.command_id;
  const command = useAsync(
    (signal) => (commandId ? apiGet<Command>(`/command/${enc(commandId)}`, signal) : Promise.resolve(undefined)),
    [commandId],
  );
  useInterval(() => job.reload(), j && !isFinalStatus(j.status) ? LIVE_POLL_MS : 0);
  const crumbs = h(Breadcrumbs, { items: [{ label: "Jobs", href: "/jobs" }, { label: j?.name || id }] });
  if (!j) {
    return h(
      "div",
      { class: "page" },
      crumbs,
      job.error instanceof ApiError && job.error.status === 404
        ? h("div", null, h("h1", null, "Job not found"), h("p", null, `There is no job with id ${id}.`))
        : h(ErrorAlert, { error: job.error }),
      job.loading ? h(Loading, { what: "job" }) : null,
    );
  }
  return h(
    "div",
    { class: "page" },
    crumbs,
    h(
      "div",
      { class: "page-head" },
      h("h1", { title: j.name }, trim(j.name || j.id, 25), " ", h(StatusTag, { status: j.status })),
      h(ExternalLink, { href: `${API}/job/${enc(id)}` }, "API Response"),
    ),
    h(ErrorAlert, { error: job.error, title: "Refresh failed" }),
    j.error
      ? h("div", { class: "alert alert-error", role: "alert", "data-testid": "job-error" }, h("strong", null, `${j.status}: `), j.error)
      : null,
    j.status === "CANCELING" ? h("div", { class: "alert alert-info", role: "status" }, "Canceling job…") : null,
    h(
      "div",
      { class: "detail" },
      h("aside", { class: "info" }, h(JobInfo, { job: j })),
      h("div", { class: "main" }, h(JobMain, { job: j, onStatus: () => job.reload() })),
    ),
    command.data?.plugin === "ecs" ? h(LiveTaskLogs, { jobId: j.id, jobStatus: j.status }) : null,
    command.data?.plugin === "ecs" ? h(TaskTimeline, { jobId: j.id, jobStatus: j.status }) : null,
    h(CancelBar, { job: j, onChanged: () => job.reload() }),
  );
}

function JobInfo(props: { job: Job }): VNode<any> {
  const j = props.job;
  const attrs = Object.entries(j.job_attributes ?? {});
  return h(
    Section,
    { title: "Job" },
    h(Fields, {
      rows: [
        ["Job Name", j.name],
        ["Status", h(StatusTag, { status: j.status })],
        ["User", j.user],
        ["Job ID", h(Copyable, { text: j.id, what: "job ID" })],
        ["Version", j.version],
        ["Description", j.description],
        ["Command Name", j.command_id ? h("a", { href: `/commands/${enc(j.command_id)}` }, j.command_name || j.command_id) : undefined],
        ["Cluster Name", j.cluster_id ? h("a", { href: `/clusters/${enc(j.cluster_id)}` }, j.cluster_name || j.cluster_id) : undefined],
        ["Created At", fmtDate(j.created_at)],
        ["Started", j.started_at === undefined ? undefined : fmtDate(j.started_at)],
        ["Finished", j.finished_at === undefined ? undefined : fmtDate(j.finished_at)],
        ["Duration", j.started_at === undefined ? undefined : h(JobDurationText, { job: j })],
        ["Progress", progressText(j.progress) || undefined],
        ["Updated At", fmtDate(j.updated_at)],
        ["Synchronous", j.is_sync ? "yes" : undefined],
        ["Store result (sync)", j.store_result_sync ? "yes" : undefined],
        ["Canceled by", j.canceled_by],
      ],
    }),
    h(
      "ul",
      { class: "links" },
      h("li", null, h(ExternalLink, { href: `${API}/job/${enc(j.id)}/stdout` }, "View Stdout")),
      h("li", null, h(ExternalLink, { href: `${API}/job/${enc(j.id)}/stderr` }, "View Stderr")),
    ),
    attrs.length
      ? h(
          "div",
          { class: "attributes" },
          h("h3", null, "Attributes"),
          h(
            "ul",
            { class: "links" },
            attrs.map(([label, a]) => {
              const href = a.kind === "link" ? safeHref(a.value) : undefined;
              return h(
                "li",
                { key: label },
                href ? h(ExternalLink, { href }, label) : h("span", null, h("strong", null, `${label}: `), a.value),
              );
            }),
          ),
        )
      : null,
  );
}

function JobMain(props: { job: Job; onStatus: () => void }): VNode<any> {
  const j = props.job;
  const ctx = j.context ?? undefined;
  const sql = typeof ctx?.["query"] === "string" ? (ctx["query"] as string) : undefined;
  return h(
    "div",
    null,
    h(Properties, { context: ctx }),
    sql
      ? h(
          Section,
          { title: "SQL Query" },
          h("pre", { class: "sql", tabIndex: 0, "aria-label": "SQL query", "data-testid": "sql" }, highlightSql(sql)),
        )
      : null,
    h(
      "div",
      { class: "grid-3" },
      h(Section, { title: "Tags" }, h(TagList, { tags: j.tags, label: "Job tags" })),
      h(Section, { title: "Command Criteria" }, h(TagList, { tags: j.command_criteria, label: "Command criteria" })),
      h(Section, { title: "Cluster Criteria" }, h(TagList, { tags: j.cluster_criteria, label: "Cluster criteria" })),
    ),
    ctx !== undefined ? h(Section, { title: "Context" }, h(JsonBlock, { value: ctx, label: "Job context" })) : null,
    j.status === "SUCCEEDED" || j.result ? h(ResultSection, { job: j }) : null,
    h(
      Section,
      { title: "Output", id: "output" },
      h(
        "div",
        { class: "logs" },
        h(LogViewer, { jobId: j.id, file: "stdout", jobStatus: j.status, onStatus: props.onStatus }),
        h(LogViewer, { jobId: j.id, file: "stderr", jobStatus: j.status, onStatus: props.onStatus }),
      ),
    ),
  );
}

function ResultSection(props: { job: Job }): VNode<any> | null {
  const { job } = props;
  const result = useAsync<Result | undefined>(
    async (signal) => {
      if (job.result) return job.result;
      try {
        return await apiGet<Result>(`/job/${enc(job.id)}/result`, signal);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return undefined;
        throw err;
      }
    },
    [job.id, job.status],
  );
  if (result.error) return h(Section, { title: "Result" }, h(ErrorAlert, { error: result.error }));
  if (!result.data) return result.loading ? null : h(Section, { title: "Result" }, h("p", { class: "muted" }, "No result stored."));
  return h(Section, { title: "Result", id: "result" }, h(ResultTable, { result: result.data }));
}

export function ResultTable(props: { result: Result }): VNode<any> {
  const cols = props.result.columns ?? [];
  const data = props.result.data ?? [];
  const cell = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));
  // The table scrolls sideways inside its box: the box takes keyboard focus and has a name (axe scrollable-region-focusable).
  return h(
    "div",
    { class: "table-wrap", tabIndex: 0, role: "region", "aria-label": "Result table (scrolls)" },
    h(
      "table",
      { class: "table", "aria-label": "Result" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          cols.map((c, i) =>
            h("th", { key: i, scope: "col", title: c.type }, c.name, c.type ? h("span", { class: "muted small" }, ` ${c.type}`) : null),
          ),
        ),
      ),
      h(
        "tbody",
        null,
        data.map((row, i) =>
          h(
            "tr",
            { key: i },
            (Array.isArray(row) ? row : [row]).map((v, k) => h("td", { key: k }, h("span", { class: "cell" }, cell(v)))),
          ),
        ),
      ),
    ),
  );
}

function CancelBar(props: { job: Job; onChanged: () => void }): VNode<any> {
  const { job } = props;
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const cancelable = CANCELABLE_JOB_STATUSES.includes(job.status);
  const cancel = async (): Promise<void> => {
    setOpen(false);
    setBusy(true);
    try {
      const r = await apiSend<{ status?: string }>("POST", `/job/${enc(job.id)}/cancel`);
      if (r.status === "CANCELING") toast("Job is being canceled...");
      else toast(`Cancel answered ${r.status ?? "?"}`);
    } catch (err) {
      toast(errorMessage(err), "error");
    } finally {
      setBusy(false);
      props.onChanged();
    }
  };
  return h(
    "div",
    { class: "footer-bar" },
    job.status === "CANCELING" ? h("span", { class: "muted", role: "status" }, "Canceling job…") : null,
    h(SubmitAgain, { job }),
    h(
      "button",
      {
        type: "button",
        class: "btn btn-danger",
        disabled: !cancelable || busy,
        title: cancelable ? "Cancel this job" : `A ${job.status} job cannot be canceled`,
        onClick: () => setOpen(true),
      },
      "Cancel Job",
    ),
    h(ConfirmDialog, {
      open,
      title: "Cancel this job?",
      body: `Job ${job.name || job.id} (${job.status}) will be stopped; this cannot be undone.`,
      confirmLabel: "Yes, cancel job",
      onConfirm: () => void cancel(),
      onClose: () => setOpen(false),
    }),
  );
}

/** Resubmits the same name, version, criteria and context (issue 9) and opens the new job. */
function SubmitAgain(props: { job: Job }): VNode<any> {
  const { job } = props;
  const [busy, setBusy] = useState(false);
  const again = async (): Promise<void> => {
    setBusy(true);
    try {
      const body: Record<string, unknown> = {
        name: job.name,
        version: job.version,
        command_criteria: job.command_criteria ?? [],
        cluster_criteria: job.cluster_criteria ?? [],
      };
      if (job.context !== undefined && job.context !== null) body["context"] = job.context;
      const created = await apiSend<{ id: string }>("POST", "/job", body);
      toast(`Submitted again as ${created.id}`);
      navigate(`/jobs/${enc(created.id)}`);
    } catch (err) {
      toast(errorMessage(err), "error");
      // A synchronous job that failed answers 5xx with its id: show it.
      if (err instanceof ApiError && err.jobId) navigate(`/jobs/${enc(err.jobId)}`);
    } finally {
      setBusy(false);
    }
  };
  return h(
    "button",
    {
      type: "button",
      class: "btn",
      disabled: busy,
      title: "Submit a new job with the same name, version, criteria and context",
      onClick: () => void again(),
    },
    "Submit again",
  );
}
