// The three list pages (spec 12): /jobs, /commands, /clusters.
import { h, type VNode } from "preact";
import {
  isFinalStatus,
  type ClusterJson as Cluster,
  type CommandJson as Command,
  type JobJson as Job,
  type JobProgress,
} from "../../../core/api-types.ts";
import { enc } from "../api.ts";
import { Breadcrumbs, DateText, StatusTag } from "../components.ts";
import { fmtDuration, jobDuration, trim } from "../format.ts";
import { useNow } from "../hooks.ts";
import { ListPage, type ListSpec } from "../list.ts";
import type { Loc } from "../router.ts";

const details = (href: string, what: string): VNode<any> =>
  h("a", { class: "btn btn-small", href, "aria-label": `Details of ${what}` }, "Details");
const mono = (s: string | undefined): VNode<any> => h("code", { class: "id" }, s ?? "");

const jobsSpec: ListSpec<Job> = {
  path: "/jobs",
  endpoint: "/jobs",
  statusesEndpoint: "/job/statuses",
  noun: "jobs",
  withTags: true,
  defaultOrder: "created_at",
  defaultDirection: "desc",
  rowKey: (j) => j.id,
  filters: [
    { param: "id", label: "Job ID" },
    { param: "name", label: "Name", substring: true },
    { param: "username", label: "User", substring: true },
    { param: "version", label: "Version" },
    { param: "command", label: "Command", placeholder: "name contains", substring: true },
    { param: "cluster", label: "Cluster", placeholder: "name contains", substring: true },
  ],
  // Job ID, Status and Name come first: on a 390 px phone they are what stays on screen.
  columns: [
    { label: "Job ID", sort: "id", cell: (j) => h("a", { href: `/jobs/${enc(j.id)}` }, mono(j.id)) },
    { label: "Status", cell: (j) => h(JobStatusCell, { job: j }) },
    { label: "Name", cell: (j) => h("span", { title: j.name }, trim(j.name, 60)) },
    { label: "Progress", cell: (j) => progressText(j.progress) || "", optional: true },
    { label: "Duration", cell: (j) => h(JobDurationText, { job: j }), cls: "num" },
    { label: "Started", cell: (j) => h(DateText, { epoch: j.started_at }), cls: "date", optional: true },
    { label: "Finished", cell: (j) => h(DateText, { epoch: j.finished_at }), cls: "date", optional: true },
    {
      label: "Error",
      cell: (j) => (j.error ? h("span", { class: "err-short", title: j.error }, trim(j.error, 48)) : ""),
      cls: "wrap",
      optional: true,
    },
    { label: "Version", cell: (j) => j.version ?? "", optional: true },
    { label: "User", cell: (j) => j.user ?? "", optional: true },
    { label: "Cluster", cell: (j) => j.cluster_name ?? "", optional: true },
    { label: "Command", cell: (j) => j.command_name ?? "", optional: true },
    { label: "Created At", sort: "created_at", cell: (j) => h(DateText, { epoch: j.created_at }), cls: "date" },
    { label: "Updated At", sort: "updated_at", cell: (j) => h(DateText, { epoch: j.updated_at }), cls: "date", optional: true },
    { label: "Details", cell: (j) => details(`/jobs/${enc(j.id)}`, `job ${j.name || j.id}`) },
  ],
};

/** "3/5 ✓ 1 running 1 retrying" for ECS jobs' `progress`; "" without one. */
export function progressText(p: JobProgress | null | undefined): string {
  if (!p) return "";
  const parts = [`${p.succeeded}/${p.tasks} ✓`];
  for (const k of ["running", "retrying", "pending", "failed"] as const) if (p[k]) parts.push(`${p[k]} ${k}`);
  return parts.join(" ");
}

/** Status with, for a failed job, its error as the tooltip; ECS progress under it on phones (where the column is hidden). */
function JobStatusCell(props: { job: Job }): VNode<any> {
  const j = props.job;
  const tag = h(StatusTag, { status: j.status });
  return h(
    "span",
    { class: "status-cell", title: j.error ? `${j.status}: ${j.error}` : undefined },
    tag,
    j.progress ? h("span", { class: "muted small phone-only" }, ` ${progressText(j.progress)}`) : null,
  );
}

/** Finished − started; ticks every second while the job runs. */
export function JobDurationText(props: { job: Job }): VNode<any> {
  const j = props.job;
  const running = !!j.started_at && !j.finished_at && !isFinalStatus(j.status);
  const now = useNow(running);
  // A final job stored before finished_at existed ends at its last update.
  const d = jobDuration(j.started_at, j.finished_at ?? (isFinalStatus(j.status) ? j.updated_at : undefined), now);
  return h("span", { "data-testid": "duration", class: running ? "ticking" : undefined }, d === undefined ? "—" : fmtDuration(d));
}

const commandsSpec: ListSpec<Command> = {
  path: "/commands",
  endpoint: "/commands",
  statusesEndpoint: "/command/statuses",
  noun: "commands",
  withTags: false,
  defaultOrder: "",
  defaultDirection: "desc",
  rowKey: (c) => c.id,
  filters: [
    { param: "id", label: "Command ID" },
    { param: "name", label: "Name" },
    { param: "username", label: "User" },
    { param: "version", label: "Version" },
    { param: "plugin", label: "Plugin" },
  ],
  columns: [
    { label: "ID", sort: "id", cell: (c) => h("a", { href: `/commands/${enc(c.id)}` }, mono(c.id)) },
    { label: "Name", cell: (c) => c.name ?? "" },
    { label: "Version", cell: (c) => c.version ?? "", optional: true },
    { label: "User", cell: (c) => c.user ?? "", optional: true },
    { label: "Description", cell: (c) => trim(c.description, 80), cls: "wrap", optional: true },
    { label: "Created At", sort: "created_at", cell: (c) => h(DateText, { epoch: c.created_at }), cls: "date", optional: true },
    { label: "Updated At", sort: "updated_at", cell: (c) => h(DateText, { epoch: c.updated_at }), cls: "date", optional: true },
    { label: "Plugin", cell: (c) => c.plugin ?? "" },
    { label: "Status", cell: (c) => h(StatusTag, { status: c.status, kind: "registry" }) },
    { label: "Details", cell: (c) => details(`/commands/${enc(c.id)}`, `command ${c.id}`) },
  ],
};

const clustersSpec: ListSpec<Cluster> = {
  path: "/clusters",
  endpoint: "/clusters",
  statusesEndpoint: "/cluster/statuses",
  noun: "clusters",
  withTags: false,
  defaultOrder: "",
  defaultDirection: "desc",
  rowKey: (c) => c.id,
  filters: [
    { param: "id", label: "Cluster ID" },
    { param: "name", label: "Name" },
    { param: "username", label: "User" },
    { param: "version", label: "Version" },
  ],
  columns: [
    { label: "ID", sort: "id", cell: (c) => h("a", { href: `/clusters/${enc(c.id)}` }, mono(c.id)) },
    { label: "Name", cell: (c) => c.name ?? "" },
    { label: "Version", cell: (c) => c.version ?? "", optional: true },
    { label: "User", cell: (c) => c.user ?? "", optional: true },
    { label: "Created At", sort: "created_at", cell: (c) => h(DateText, { epoch: c.created_at }), cls: "date", optional: true },
    { label: "Updated At", sort: "updated_at", cell: (c) => h(DateText, { epoch: c.updated_at }), cls: "date", optional: true },
    { label: "Status", cell: (c) => h(StatusTag, { status: c.status, kind: "registry" }) },
    { label: "Details", cell: (c) => details(`/clusters/${enc(c.id)}`, `cluster ${c.id}`) },
  ],
};

export function JobsPage(props: { loc: Loc }): VNode<any> {
  return h(
    "div",
    null,
    h(Breadcrumbs, { items: [{ label: "Jobs" }] }),
    h(ListPage<Job>, {
      spec: jobsSpec,
      loc: props.loc,
      title: "Jobs",
      extra: h("a", { class: "btn btn-primary", href: "/submit" }, "Submit a job"),
    }),
  );
}

export function CommandsPage(props: { loc: Loc }): VNode<any> {
  return h(
    "div",
    null,
    h(Breadcrumbs, { items: [{ label: "Commands" }] }),
    h(ListPage<Command>, { spec: commandsSpec, loc: props.loc, title: "Commands" }),
  );
}

export function ClustersPage(props: { loc: Loc }): VNode<any> {
  return h(
    "div",
    null,
    h(Breadcrumbs, { items: [{ label: "Clusters" }] }),
    h(ListPage<Cluster>, { spec: clustersSpec, loc: props.loc, title: "Clusters" }),
  );
}
