// Command details /commands/{id} and cluster details /clusters/{id} (spec 12), with Activate/Deactivate
// (PUT …/status, issue 5) and, for clusters with health_check, "Check health" (GET /cluster/{id}/health).
import { h, type VNode } from "preact";
import { useState } from "preact/hooks";
import type { ClusterJson as Cluster, CommandJson as Command, HealthReport } from "../../../core/api-types.ts";
import { API, ApiError, apiGet, apiSend, enc, errorMessage } from "../api.ts";
import {
  Breadcrumbs,
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
import { fmtDate } from "../format.ts";
import { toast, useAsync, useRefreshTick } from "../hooks.ts";

type Kind = "command" | "cluster";

function StatusToggle(props: { kind: Kind; id: string; status: string; onChanged: () => void }): VNode<any> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const change = async (to: "ACTIVE" | "INACTIVE"): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await apiSend<{ status?: string }>("PUT", `/${props.kind}/${enc(props.id)}/status`, { status: to });
      toast(`${props.kind === "command" ? "Command" : "Cluster"} ${props.id} is now ${r.status ?? to}`);
      props.onChanged();
    } catch (err) {
      setError(errorMessage(err)); // 401/403 messages already say "Not signed in" / "Not allowed" (api.ts)
    } finally {
      setBusy(false);
    }
  };
  return h(
    "div",
    { class: "toggle" },
    h(
      "button",
      { type: "button", class: "btn", disabled: busy || props.status === "ACTIVE", onClick: () => void change("ACTIVE") },
      "Activate",
    ),
    h(
      "button",
      { type: "button", class: "btn", disabled: busy || props.status === "INACTIVE", onClick: () => void change("INACTIVE") },
      "Deactivate",
    ),
    error ? h("p", { class: "alert alert-error", role: "alert", "data-testid": "status-error" }, error) : null,
  );
}

function NotFound(props: { kind: Kind; id: string; error: unknown; loading: boolean }): VNode<any> {
  if (props.error instanceof ApiError && props.error.status === 404) {
    return h(
      "div",
      null,
      h("h1", null, `${props.kind === "command" ? "Command" : "Cluster"} not found`),
      h("p", null, `There is no ${props.kind} with id ${props.id}.`),
    );
  }
  return h("div", null, h(ErrorAlert, { error: props.error }), props.loading ? h(Loading, { what: props.kind }) : null);
}

function uriLink(ctx: Record<string, unknown> | null | undefined, key: string, label: string): VNode<any> | null {
  const v = ctx?.[key];
  const href = typeof v === "string" ? safeHref(v) : undefined;
  return href ? h("li", { key }, h(ExternalLink, { href }, label)) : null;
}

export function CommandDetailPage(props: { id: string }): VNode<any> {
  const { id } = props;
  const tick = useRefreshTick();
  const cmd = useAsync((signal) => apiGet<Command>(`/command/${enc(id)}`, signal), [id, tick]);
  const c = cmd.data;
  const crumbs = h(Breadcrumbs, { items: [{ label: "Commands", href: "/commands" }, { label: c?.name || id }] });
  if (!c) return h("div", { class: "page" }, crumbs, h(NotFound, { kind: "command", id, error: cmd.error, loading: cmd.loading }));
  const links = [
    uriLink(c.context, "logs_uri", "Logs"),
    uriLink(c.context, "queries_uri", "Queries"),
    uriLink(c.context, "results_uri", "Results"),
  ].filter(Boolean);
  return h(
    "div",
    { class: "page" },
    crumbs,
    h(
      "div",
      { class: "page-head" },
      h("h1", null, c.name || c.id, " ", h(StatusTag, { status: c.status, kind: "registry" })),
      h(ExternalLink, { href: `${API}/command/${enc(id)}` }, "API Response"),
    ),
    h(
      "div",
      { class: "detail" },
      h(
        "aside",
        { class: "info" },
        h(
          Section,
          { title: "Command" },
          h(Fields, {
            rows: [
              ["Command ID", h("code", { class: "id" }, c.id)],
              ["Status", h(StatusTag, { status: c.status, kind: "registry" })],
              ["User", c.user],
              ["Plugin", c.plugin],
              ["Description", c.description],
              ["Version", c.version],
              ["Synchronous", c.is_sync ? "yes" : "no"],
              ["Created At", fmtDate(c.created_at)],
              ["Updated At", fmtDate(c.updated_at)],
            ],
          }),
          h(StatusToggle, { kind: "command", id, status: c.status, onChanged: () => cmd.reload() }),
        ),
      ),
      h(
        "div",
        { class: "main" },
        links.length ? h("ul", { class: "links" }, links) : null,
        h(Properties, { context: c.context }),
        h(
          "div",
          { class: "grid-3" },
          h(Section, { title: "Tags" }, h(TagList, { tags: c.tags, label: "Command tags" })),
          h(Section, { title: "Cluster Tags" }, h(TagList, { tags: c.cluster_tags, label: "Cluster tags" })),
          h(
            Section,
            { title: "Allowed Callers" },
            (c.allowed_callers ?? []).length
              ? h(TagList, { tags: c.allowed_callers, label: "Allowed callers" })
              : h("p", { class: "muted" }, "everyone"),
          ),
        ),
        h(
          Section,
          { title: "Context" },
          c.context ? h(JsonBlock, { value: c.context, label: "Command context" }) : h("p", { class: "muted" }, "none"),
        ),
        h("p", null, h("a", { href: `/jobs?command=${enc(c.name || c.id)}` }, `Jobs of ${c.name || c.id}`)),
      ),
    ),
  );
}

export function ClusterDetailPage(props: { id: string }): VNode<any> {
  const { id } = props;
  const tick = useRefreshTick();
  const cl = useAsync((signal) => apiGet<Cluster>(`/cluster/${enc(id)}`, signal), [id, tick]);
  const c = cl.data;
  const crumbs = h(Breadcrumbs, { items: [{ label: "Clusters", href: "/clusters" }, { label: c?.name || id }] });
  if (!c) return h("div", { class: "page" }, crumbs, h(NotFound, { kind: "cluster", id, error: cl.error, loading: cl.loading }));
  const attrs = Object.entries(c.attributes ?? {});
  return h(
    "div",
    { class: "page" },
    crumbs,
    h(
      "div",
      { class: "page-head" },
      h("h1", null, c.name || c.id, " ", h(StatusTag, { status: c.status, kind: "registry" })),
      h(ExternalLink, { href: `${API}/cluster/${enc(id)}` }, "API Response"),
    ),
    h(
      "div",
      { class: "detail" },
      h(
        "aside",
        { class: "info" },
        h(
          Section,
          { title: "Cluster" },
          h(Fields, {
            rows: [
              ["Cluster ID", h("code", { class: "id" }, c.id)],
              ["Status", h(StatusTag, { status: c.status, kind: "registry" })],
              ["User", c.user],
              ["Version", c.version],
              ["Description", c.description],
              ["Health check", c.health_check ? "enabled" : "disabled"],
              ["Created At", fmtDate(c.created_at)],
              ["Updated At", fmtDate(c.updated_at)],
            ],
          }),
          h(StatusToggle, { kind: "cluster", id, status: c.status, onChanged: () => cl.reload() }),
        ),
        c.health_check ? h(HealthBox, { id }) : null,
      ),
      h(
        "div",
        { class: "main" },
        h(Properties, { context: c.context }),
        h(Section, { title: "Tags" }, h(TagList, { tags: c.tags, label: "Cluster tags" })),
        h(
          Section,
          { title: "Attributes" },
          attrs.length
            ? h(
                "div",
                { class: "table-wrap", tabIndex: 0, role: "region", "aria-label": "Attributes table (scrolls)" },
                h(
                  "table",
                  { class: "table", "aria-label": "Attributes" },
                  h(
                    "thead",
                    null,
                    h(
                      "tr",
                      null,
                      h("th", { scope: "col" }, "Label"),
                      h("th", { scope: "col" }, "Kind"),
                      h("th", { scope: "col" }, "Template"),
                    ),
                  ),
                  h(
                    "tbody",
                    null,
                    attrs.map(([label, a]) =>
                      h("tr", { key: label }, h("td", null, label), h("td", null, a.kind), h("td", null, h("code", null, a.value))),
                    ),
                  ),
                ),
              )
            : h("p", { class: "muted" }, "none"),
        ),
        h(
          Section,
          { title: "Context" },
          c.context ? h(JsonBlock, { value: c.context, label: "Cluster context" }) : h("p", { class: "muted" }, "none"),
        ),
        h("p", null, h("a", { href: `/jobs?cluster=${enc(c.name || c.id)}` }, `Jobs on ${c.name || c.id}`)),
      ),
    ),
  );
}

function HealthBox(props: { id: string }): VNode<any> {
  const [state, setState] = useState<{ busy: boolean; health?: HealthReport; error?: string }>({ busy: false });
  const check = async (): Promise<void> => {
    setState({ busy: true });
    try {
      setState({ busy: false, health: await apiGet<HealthReport>(`/cluster/${enc(props.id)}/health`) });
    } catch (err) {
      setState({ busy: false, error: errorMessage(err) });
    }
  };
  const item = state.health?.checks?.[0];
  return h(
    Section,
    { title: "Health", id: "health" },
    h(
      "button",
      { type: "button", class: "btn", disabled: state.busy, onClick: () => void check() },
      state.busy ? "Checking…" : "Check health",
    ),
    state.error ? h("p", { class: "alert alert-error", role: "alert" }, state.error) : null,
    state.health
      ? h(
          "div",
          { role: "status", "data-testid": "health" },
          h(StatusTag, { status: state.health.healthy ? "HEALTHY" : "UNHEALTHY", cls: state.health.healthy ? "st-green" : "st-red" }),
          item
            ? h(Fields, {
                rows: [
                  ["Plugin", item.plugin],
                  ["Check", item.status],
                  ["Latency", item.latency_ms === undefined ? undefined : `${item.latency_ms} ms`],
                  ["Error", item.error],
                ],
              })
            : null,
        )
      : null,
  );
}
