// The overview page `/` (issue 9 item 4): the last 24 hours from ONE call to GET /api/v1/stats?since=… — counts by
// status, jobs finished per hour as an inline SVG bar chart (no chart library), running ECS tasks, the slowest jobs
// and the most recent failures, each linked to its job or to the filtered jobs list.
import { h, type VNode } from "preact";
import type { JobStats as Stats } from "../../../core/api-types.ts";
import { apiGet, enc } from "../api.ts";
import { Breadcrumbs, DateText, ErrorAlert, Loading, Section, StatusTag } from "../components.ts";
import { fmtDuration, fmtHour, trim, zoneName } from "../format.ts";
import { useAsync, useRefreshTick } from "../hooks.ts";

const WINDOW_S = 24 * 3600;

export function OverviewPage(): VNode<any> {
  const tick = useRefreshTick();
  const stats = useAsync((signal) => apiGet<Stats>(`/stats?since=${Math.floor(Date.now() / 1000) - WINDOW_S}`, signal), [tick]);
  const s = stats.data;
  return h(
    "div",
    { class: "page" },
    h(Breadcrumbs, { items: [{ label: "Overview" }] }),
    h("div", { class: "page-head" }, h("h1", null, "Overview"), h("span", { class: "muted" }, "last 24 hours")),
    h(ErrorAlert, { error: stats.error, title: "Statistics" }),
    !s ? (stats.loading ? h(Loading, { what: "statistics" }) : null) : h(OverviewBody, { stats: s }),
  );
}

function OverviewBody(props: { stats: Stats }): VNode<any> {
  const s = props.stats;
  const counts = Object.entries(s.counts ?? {});
  const total = counts.reduce((n, [, c]) => n + c, 0);
  return h(
    "div",
    { class: "overview" },
    h(
      Section,
      { title: "Jobs created, by status", id: "ov-counts" },
      h(
        "ul",
        { class: "counts", "data-testid": "status-counts" },
        counts.map(([status, n]) =>
          h(
            "li",
            { key: status, class: n ? "" : "zero" },
            h(
              "a",
              { href: `/jobs?status=${enc(status)}`, "data-status": status },
              h("span", { class: "count-n" }, String(n)),
              h(StatusTag, { status }),
            ),
          ),
        ),
      ),
      h("p", { class: "muted small" }, `${total} jobs created since `, h(DateText, { epoch: s.since }), "."),
    ),
    h(
      "div",
      { class: "ov-grid" },
      h(Section, { title: "Jobs finished per hour", id: "ov-chart" }, h(HourChart, { hours: s.finished_per_hour ?? [] })),
      h(
        Section,
        { title: "Running ECS tasks", id: "ov-ecs" },
        h("p", { class: "big-number", "data-testid": "running-ecs-tasks" }, String(s.running_ecs_tasks ?? 0)),
        h("p", null, h("a", { href: "/jobs?status=RUNNING" }, "Running jobs")),
      ),
    ),
    h(
      "div",
      { class: "ov-grid" },
      h(
        Section,
        { title: "Slowest jobs", id: "ov-slowest" },
        s.slowest?.length
          ? h(
              "ol",
              { class: "ov-list", "data-testid": "slowest" },
              s.slowest.map((j) =>
                h(
                  "li",
                  { key: j.id },
                  h("a", { href: `/jobs/${enc(j.id)}` }, trim(j.name || j.id, 40)),
                  " ",
                  h(StatusTag, { status: j.status }),
                  h(
                    "span",
                    { class: "muted" },
                    ` ${fmtDuration(j.duration ?? (j.finished_at && j.started_at ? j.finished_at - j.started_at : undefined))}`,
                  ),
                ),
              ),
            )
          : h("p", { class: "muted" }, "No job finished in this window."),
      ),
      h(
        Section,
        { title: "Recent failures", id: "ov-failures" },
        s.recent_failures?.length
          ? h(
              "ol",
              { class: "ov-list", "data-testid": "recent-failures" },
              s.recent_failures.map((j) =>
                h(
                  "li",
                  { key: j.id },
                  h("a", { href: `/jobs/${enc(j.id)}` }, trim(j.name || j.id, 40)),
                  " ",
                  h("span", { class: "muted small" }, h(DateText, { epoch: j.finished_at })),
                  j.error ? h("div", { class: "err-short", title: j.error }, trim(j.error, 120)) : null,
                ),
              ),
            )
          : h("p", { class: "muted" }, "No failures in this window."),
      ),
    ),
  );
}

const SERIES = [
  { key: "succeeded", label: "succeeded", cls: "bar-ok" },
  { key: "failed", label: "failed", cls: "bar-fail" },
  { key: "canceled", label: "canceled", cls: "bar-cancel" },
] as const;

/** A stacked bar per hour (succeeded, failed, canceled), drawn as inline SVG; the numbers are in a table for screen readers. */
export function HourChart(props: { hours: Stats["finished_per_hour"] }): VNode<any> {
  const hours = props.hours;
  if (!hours.length) return h("p", { class: "muted" }, "No hours in this window.");
  const W = 720;
  const H = 160;
  const pad = { l: 28, b: 18, t: 6 };
  const max = Math.max(1, ...hours.map((x) => x.succeeded + x.failed + x.canceled));
  const bw = (W - pad.l) / hours.length;
  const y = (n: number): number => ((H - pad.b - pad.t) * n) / max;
  const finished = hours.reduce((n, x) => n + x.succeeded + x.failed + x.canceled, 0);
  return h(
    "div",
    { class: "chart" },
    h(
      "svg",
      {
        viewBox: `0 0 ${W} ${H}`,
        role: "img",
        "aria-label": `${finished} jobs finished in ${hours.length} hours; busiest hour ${max}`,
        "data-testid": "hour-chart",
      },
      h("line", { x1: pad.l, y1: H - pad.b, x2: W, y2: H - pad.b, class: "axis" }),
      h("text", { x: pad.l - 4, y: pad.t + 8, class: "tick", "text-anchor": "end" }, String(max)),
      h("text", { x: pad.l - 4, y: H - pad.b, class: "tick", "text-anchor": "end" }, "0"),
      hours.map((x, i) => {
        let base = H - pad.b;
        const bars = SERIES.map((sr) => {
          const hgt = y(x[sr.key]);
          base -= hgt;
          return hgt > 0
            ? h("rect", { key: sr.key, x: pad.l + i * bw + 1, y: base, width: Math.max(1, bw - 2), height: hgt, class: sr.cls })
            : null;
        });
        const label =
          i % 4 === 0 ? h("text", { x: pad.l + i * bw + bw / 2, y: H - 4, class: "tick", "text-anchor": "middle" }, fmtHour(x.hour)) : null;
        return h(
          "g",
          { key: x.hour, "data-hour": x.hour },
          h("title", null, `${fmtHour(x.hour)}: ${x.succeeded} succeeded, ${x.failed} failed, ${x.canceled} canceled`),
          bars,
          label,
        );
      }),
    ),
    h(
      "ul",
      { class: "legend" },
      SERIES.map((sr) => h("li", { key: sr.key }, h("span", { class: `swatch ${sr.cls}`, "aria-hidden": "true" }), sr.label)),
      h("li", { class: "muted" }, `hours in ${zoneName()}`),
    ),
    h(
      "details",
      { class: "chart-data" },
      h("summary", null, "Table of the chart"),
      h(
        "div",
        { class: "table-wrap", tabIndex: 0, role: "region", "aria-label": "Jobs finished per hour, table" },
        h(
          "table",
          { class: "table", "aria-label": "Jobs finished per hour" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ["Hour", "Succeeded", "Failed", "Canceled"].map((c) => h("th", { key: c, scope: "col" }, c)),
            ),
          ),
          h(
            "tbody",
            null,
            hours.map((x) =>
              h(
                "tr",
                { key: x.hour },
                h("td", null, h(DateText, { epoch: x.hour })),
                h("td", null, x.succeeded),
                h("td", null, x.failed),
                h("td", null, x.canceled),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
