// Submit page /submit: pick a command (and optionally a cluster) or type criteria, edit the context as JSON,
// POST /api/v1/job, then land on the job page. API validation errors ("<field>: <problem>; …") are shown
// next to the field they name.
import { h, type VNode } from "preact";
import { useState } from "preact/hooks";
import type { ClusterJson as Cluster, CommandJson as Command, JobJson as Job, PageJson as Page } from "../../../core/api-types.ts";
import { ApiError, apiGet, apiSend, errorMessage } from "../api.ts";
import { Breadcrumbs, ErrorAlert } from "../components.ts";
import { splitList } from "../format.ts";
import { toast, useAsync } from "../hooks.ts";
import { navigate, type Loc } from "../router.ts";

type FieldName = "name" | "version" | "description" | "tags" | "command_criteria" | "cluster_criteria" | "context" | "general";

/** Splits an API validation message into per-field messages by its `<field path>:` prefixes. */
export function fieldErrors(message: string): Partial<Record<FieldName, string[]>> {
  const out: Partial<Record<FieldName, string[]>> = {};
  for (const part of message.split("; ")) {
    const m = /^([a-z_]+)(?:[.[][^:]*)?:\s/.exec(part);
    const f = m?.[1] as FieldName | undefined;
    const key: FieldName =
      f && ["name", "version", "description", "tags", "command_criteria", "cluster_criteria", "context"].includes(f) ? f : "general";
    (out[key] ??= []).push(part);
  }
  return out;
}

interface Form {
  name: string;
  version: string;
  description: string;
  tags: string;
  mode: "pick" | "criteria";
  commandId: string;
  clusterId: string;
  commandCriteria: string;
  clusterCriteria: string;
  context: string;
  storeResultSync: boolean;
}

export function SubmitPage(props: { loc: Loc }): VNode<any> {
  const preset = props.loc.search.get("command") ?? "";
  const [f, setF] = useState<Form>({
    name: "",
    version: "",
    description: "",
    tags: "",
    mode: preset ? "pick" : "criteria",
    commandId: preset,
    clusterId: "",
    commandCriteria: "",
    clusterCriteria: "",
    context: "{}",
    storeResultSync: false,
  });
  const [errors, setErrors] = useState<Partial<Record<FieldName, string[]>>>({});
  const [busy, setBusy] = useState(false);
  const commands = useAsync((s) => apiGet<Page<Command>>("/commands?status=ACTIVE&order_by=id&direction=asc&limit=101", s), []);
  const clusters = useAsync((s) => apiGet<Page<Cluster>>("/clusters?status=ACTIVE&order_by=id&direction=asc&limit=101", s), []);
  const cmd = commands.data?.data.find((c) => c.id === f.commandId);
  const eligible = (clusters.data?.data ?? []).filter((cl) => (cmd?.cluster_tags ?? []).every((t) => (cl.tags ?? []).includes(t)));
  const set = (patch: Partial<Form>): void => setF({ ...f, ...patch });
  const input = (k: keyof Form) => (e: Event) => set({ [k]: (e.currentTarget as HTMLInputElement).value } as Partial<Form>);
  const editContext = (e: Event): void => {
    input("context")(e);
    if (errors.context) setErrors({ ...errors, context: undefined });
  };

  const submit = async (ev: Event): Promise<void> => {
    ev.preventDefault();
    const errs: Partial<Record<FieldName, string[]>> = {};
    let context: unknown;
    try {
      context = f.context.trim() ? JSON.parse(f.context) : undefined;
      if (context !== undefined && (typeof context !== "object" || context === null || Array.isArray(context)))
        errs.context = ["context: must be a JSON object"];
    } catch (err) {
      errs.context = [`context: invalid JSON (${errorMessage(err)})`];
    }
    let commandCriteria: string[];
    let clusterCriteria: string[];
    if (f.mode === "pick") {
      if (!cmd) errs.command_criteria = ["Choose a command."];
      commandCriteria = cmd ? [`_id:${cmd.id}`] : [];
      clusterCriteria = f.clusterId ? [`_id:${f.clusterId}`] : [...(cmd?.cluster_tags ?? [])];
    } else {
      commandCriteria = splitList(f.commandCriteria);
      clusterCriteria = splitList(f.clusterCriteria);
    }
    setErrors(errs);
    if (Object.keys(errs).length) return;
    const body = {
      name: f.name,
      version: f.version,
      description: f.description,
      tags: splitList(f.tags),
      context,
      command_criteria: commandCriteria,
      cluster_criteria: clusterCriteria,
      store_result_sync: f.storeResultSync,
    };
    setBusy(true);
    try {
      const job = await apiSend<Job>("POST", "/job", body);
      toast(`Job ${job.id} submitted`);
      navigate(`/jobs/${encodeURIComponent(job.id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.jobId && err.status >= 500) {
        toast(err.message, "error");
        navigate(`/jobs/${encodeURIComponent(err.jobId)}`);
        return;
      }
      setErrors(err instanceof ApiError && err.status === 400 ? fieldErrors(err.message) : { general: [errorMessage(err)] });
    } finally {
      setBusy(false);
    }
  };

  const fieldErr = (k: FieldName): VNode<any> | null =>
    errors[k]?.length ? h("p", { id: `err-${k}`, class: "field-error", role: "alert" }, errors[k]?.join("; ")) : null;
  const text = (k: keyof Form, label: string, fe: FieldName, placeholder = ""): VNode<any> =>
    h(
      "label",
      { class: "fld" },
      h("span", null, label),
      h("input", {
        type: "text",
        name: k,
        value: f[k] as string,
        placeholder,
        onInput: input(k),
        "aria-invalid": errors[fe] ? "true" : undefined,
        "aria-describedby": errors[fe] ? `err-${fe}` : undefined,
      }),
      fieldErr(fe),
    );

  return h(
    "div",
    { class: "page" },
    h(Breadcrumbs, { items: [{ label: "Jobs", href: "/jobs" }, { label: "Submit" }] }),
    h("div", { class: "page-head" }, h("h1", null, "Submit a job")),
    h(ErrorAlert, { error: commands.error, title: "Commands" }),
    h(
      "form",
      { class: "card submit-form", onSubmit: (e: Event) => void submit(e), "aria-label": "Submit a job", noValidate: true },
      h(
        "div",
        { class: "filter-grid" },
        text("name", "Name", "name", "my-job"),
        text("version", "Version", "version", "0.0.1"),
        text("tags", "Tags", "tags", "env:dev, owner:me"),
      ),
      text("description", "Description", "description"),
      h(
        "fieldset",
        { class: "mode" },
        h("legend", null, "Command"),
        h(
          "label",
          { class: "chk" },
          h("input", { type: "radio", name: "mode", value: "pick", checked: f.mode === "pick", onChange: () => set({ mode: "pick" }) }),
          " Choose a command",
        ),
        h(
          "label",
          { class: "chk" },
          h("input", {
            type: "radio",
            name: "mode",
            value: "criteria",
            checked: f.mode === "criteria",
            onChange: () => set({ mode: "criteria" }),
          }),
          " Match by criteria",
        ),
        f.mode === "pick"
          ? h(
              "div",
              { class: "filter-grid" },
              h(
                "div",
                { class: "fld" },
                h("label", { for: "submit-command" }, "Command"),
                h(
                  "select",
                  {
                    id: "submit-command",
                    name: "command",
                    value: f.commandId,
                    onChange: (e: Event) => set({ commandId: (e.currentTarget as HTMLSelectElement).value, clusterId: "" }),
                  },
                  h("option", { value: "" }, "— choose —"),
                  (commands.data?.data ?? []).map((c) =>
                    h(
                      "option",
                      { key: c.id, value: c.id },
                      `${c.name || c.id} (${c.plugin ?? "?"}) — ${(c.tags ?? []).filter((t) => !t.startsWith("_")).join(", ")}`,
                    ),
                  ),
                ),
                fieldErr("command_criteria"),
              ),
              h(
                "div",
                { class: "fld" },
                h("label", { for: "submit-cluster" }, "Cluster"),
                h(
                  "select",
                  {
                    id: "submit-cluster",
                    name: "cluster",
                    value: f.clusterId,
                    disabled: !cmd,
                    onChange: (e: Event) => set({ clusterId: (e.currentTarget as HTMLSelectElement).value }),
                  },
                  h("option", { value: "" }, cmd ? `any cluster with ${(cmd.cluster_tags ?? []).join(", ") || "any tags"}` : "—"),
                  eligible.map((c) => h("option", { key: c.id, value: c.id }, c.name || c.id)),
                ),
                fieldErr("cluster_criteria"),
              ),
              cmd?.description ? h("p", { class: "muted" }, cmd.description) : null,
            )
          : h(
              "div",
              { class: "filter-grid" },
              text("commandCriteria", "Command criteria (tags, comma-separated)", "command_criteria", "type:shell"),
              text("clusterCriteria", "Cluster criteria (tags, comma-separated)", "cluster_criteria", "type:localhost"),
            ),
      ),
      h(
        "label",
        { class: "fld" },
        h("span", null, "Context (JSON object)"),
        h("textarea", {
          name: "context",
          rows: 12,
          spellcheck: false,
          value: f.context,
          onInput: editContext,
          "aria-invalid": errors.context ? "true" : undefined,
          "aria-describedby": errors.context ? "err-context" : undefined,
        }),
        fieldErr("context"),
      ),
      h(
        "label",
        { class: "chk" },
        h("input", {
          type: "checkbox",
          name: "store_result_sync",
          checked: f.storeResultSync,
          onChange: () => set({ storeResultSync: !f.storeResultSync }),
        }),
        " Store result synchronously",
      ),
      fieldErr("general"),
      h(
        "div",
        { class: "form-actions" },
        h("button", { type: "submit", class: "btn btn-primary", disabled: busy }, busy ? "Submitting…" : "Submit job"),
      ),
    ),
  );
}
