// The list page shared by jobs, commands and clusters: filters, status multi-select, tag rows, server-side sort,
// cursor pagination and the "N"/"N+" count — all mirrored in the page URL's query string.
import { h, type ComponentChildren, type VNode } from "preact";
import { useState } from "preact/hooks";
import type { PageJson } from "../../core/api-types.ts";
import { apiGet, query } from "./api.ts";
import { ErrorAlert, Loading } from "./components.ts";
import { useAsync, useRefreshTick } from "./hooks.ts";
import { navigate, type Loc } from "./router.ts";

export const PAGE_SIZE = 20;

export interface TextFilter {
  param: string;
  label: string;
  placeholder?: string;
  /** A value without `%` or `_` matches as a substring: the API gets `%value%` (the URL keeps what was typed). */
  substring?: boolean;
}

/** The API's pattern for a filter value: `%value%` for substring filters whose value has no wildcard of its own. */
export function filterPattern(f: TextFilter, value: string | undefined): string | undefined {
  if (!value) return value;
  return f.substring && !/[%_]/.test(value) ? `%${value}%` : value;
}

export interface Column<T> {
  label: string;
  /** order_by value when the column is sortable on the server. */
  sort?: string;
  cell: (row: T) => ComponentChildren;
  cls?: string;
  /** Hidden on phone-sized screens, where the table keeps only its key columns. */
  optional?: boolean;
}

export interface ListSpec<T> {
  /** UI path, e.g. "/jobs". */
  path: string;
  /** API list path, e.g. "/jobs". */
  endpoint: string;
  /** API path of the status names, e.g. "/job/statuses". */
  statusesEndpoint: string;
  noun: string;
  filters: TextFilter[];
  withTags: boolean;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  defaultOrder: string;
  defaultDirection: "asc" | "desc";
}

/** Cursors of visited pages, per filter+sort combination: page number → cursor. */
const visited = new Map<string, Map<number, string>>();

interface TagRow {
  key: string;
  value: string;
}

function parseTags(s: string | null): TagRow[] {
  if (!s) return [];
  return s
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => {
      const i = t.indexOf(":");
      return i < 0 ? { key: t, value: "" } : { key: t.slice(0, i), value: t.slice(i + 1) };
    });
}

function baseParams<T>(spec: ListSpec<T>, search: URLSearchParams): Record<string, string | undefined> {
  const p: Record<string, string | undefined> = {};
  for (const f of spec.filters) p[f.param] = search.get(f.param) ?? undefined;
  p["status"] = search.get("status") ?? undefined;
  if (spec.withTags) p["tags"] = search.get("tags") ?? undefined;
  p["order_by"] = search.get("order_by") ?? spec.defaultOrder;
  p["direction"] = search.get("direction") ?? spec.defaultDirection;
  return p;
}

export function ListPage<T>(props: { spec: ListSpec<T>; loc: Loc; title: string; extra?: ComponentChildren }): VNode<any> {
  const { spec, loc } = props;
  const tick = useRefreshTick();
  const base = baseParams(spec, loc.search);
  const baseKey = query(base);
  const page = Math.max(1, Number.parseInt(loc.search.get("page") ?? "1", 10) || 1);
  const cursor = loc.search.get("cursor") ?? undefined;
  const statuses = useAsync((signal) => apiGet<string[]>(spec.statusesEndpoint, signal), [spec.statusesEndpoint]);
  const currentKey = `${baseKey}|${cursor ?? ""}`;
  // The page number travels with its data, so the count, "Page N" and the rows always agree.
  const apiBase = { ...base };
  for (const f of spec.filters) apiBase[f.param] = filterPattern(f, base[f.param]);
  // Substring filters ignore case (the API's `ignore_case`); the other patterns of the same query do too.
  if (spec.filters.some((f) => f.substring && base[f.param])) apiBase["ignore_case"] = "true";
  const list = useAsync(
    async (signal) => ({
      page,
      key: currentKey,
      res: await apiGet<PageJson<T>>(spec.endpoint + query({ ...apiBase, limit: String(PAGE_SIZE), cursor }), signal),
    }),
    [baseKey, cursor, tick],
  );

  const go = (params: Record<string, string | undefined>): void => navigate(spec.path + query(params));
  const pageCursors = visited.get(baseKey) ?? new Map<number, string>();
  visited.set(baseKey, pageCursors);
  if (cursor) pageCursors.set(page, cursor);

  const next = (): void => {
    const c = list.data?.res.next_cursor;
    if (!c) return;
    pageCursors.set(page + 1, c);
    go({ ...base, cursor: c, page: String(page + 1) });
  };
  const prev = (): void => {
    const target = page - 1;
    const c = pageCursors.get(target);
    if (target <= 1 || !c) go(base);
    else go({ ...base, cursor: c, page: String(target) });
  };
  const sortBy = (col: string): void => {
    const same = base["order_by"] === col;
    go({ ...base, order_by: col, direction: same && base["direction"] === "desc" ? "asc" : "desc" });
  };

  /** true until the rows on screen belong to the URL's filters, sort and page (an auto-refresh of the same view is not). */
  const busy = list.data?.key !== currentKey || (list.loading && list.data === undefined);
  const rows = list.data?.res.data ?? [];
  const shownPage = list.data?.page ?? page;
  const shown = (shownPage - 1) * PAGE_SIZE + rows.length;
  const count = `${shown}${list.data?.res.has_more ? "+" : ""}`;

  return h(
    "div",
    { class: "page" },
    h("div", { class: "page-head" }, h("h1", null, props.title), props.extra),
    h(FilterForm<T>, { key: baseKey, spec, base, statuses: statuses.data ?? [], onApply: go }),
    h(ErrorAlert, { error: list.error }),
    h(ErrorAlert, { error: statuses.error, title: "Status names" }),
    h(
      "div",
      { class: "list-meta" },
      h("span", { "data-testid": "count", "aria-live": "polite" }, `${count} ${spec.noun}`),
      h("span", { "data-testid": "page" }, `Page ${shownPage}`),
      busy ? h("span", { class: "muted", role: "status" }, "Loading…") : null,
    ),
    list.data === undefined && list.loading
      ? h(Loading, { what: spec.noun })
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "table", "aria-label": props.title, "aria-busy": busy ? "true" : "false" },
            h(
              "thead",
              null,
              h(
                "tr",
                null,
                spec.columns.map((c) => {
                  const thClass = c.optional ? "opt" : undefined;
                  if (!c.sort) return h("th", { key: c.label, scope: "col", class: thClass }, c.label);
                  const active = base["order_by"] === c.sort;
                  const dir = active ? (base["direction"] === "asc" ? "ascending" : "descending") : "none";
                  return h(
                    "th",
                    { key: c.label, scope: "col", "aria-sort": dir, class: thClass },
                    h(
                      "button",
                      { type: "button", class: "sort", onClick: () => sortBy(c.sort ?? "") },
                      c.label,
                      h("span", { "aria-hidden": "true" }, active ? (dir === "ascending" ? " ▲" : " ▼") : " ↕"),
                    ),
                  );
                }),
              ),
            ),
            h(
              "tbody",
              null,
              rows.length
                ? rows.map((r) =>
                    h(
                      "tr",
                      { key: spec.rowKey(r) },
                      spec.columns.map((c) =>
                        h(
                          "td",
                          {
                            key: c.label,
                            "data-col": c.label,
                            class: [c.cls, c.optional ? "opt" : ""].filter(Boolean).join(" ") || undefined,
                          },
                          c.cell(r),
                        ),
                      ),
                    ),
                  )
                : h("tr", null, h("td", { colSpan: spec.columns.length, class: "muted empty" }, `No ${spec.noun} match.`)),
            ),
          ),
        ),
    h(
      "div",
      { class: "pager" },
      h("button", { type: "button", class: "btn", disabled: page <= 1 || busy, onClick: prev }, "← Previous"),
      h("button", { type: "button", class: "btn", disabled: !list.data?.res.has_more || busy, onClick: next }, "Next →"),
    ),
  );
}

function FilterForm<T>(props: {
  spec: ListSpec<T>;
  base: Record<string, string | undefined>;
  statuses: string[];
  onApply: (p: Record<string, string | undefined>) => void;
}): VNode<any> {
  const { spec, base } = props;
  const [values, setValues] = useState<Record<string, string>>(() => {
    const v: Record<string, string> = {};
    for (const f of spec.filters) v[f.param] = base[f.param] ?? "";
    return v;
  });
  const [status, setStatus] = useState<string[]>(() =>
    (base["status"] ?? "")
      .split(",")
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean),
  );
  const [tags, setTags] = useState<TagRow[]>(() => parseTags(base["tags"] ?? null));

  const apply = (ev: Event): void => {
    ev.preventDefault();
    const tagStr = tags
      .filter((t) => t.key.trim())
      .map((t) => `${t.key.trim()}:${t.value.trim()}`)
      .join(",");
    props.onApply({
      ...values,
      status: status.join(","),
      ...(spec.withTags ? { tags: tagStr } : {}),
      order_by: base["order_by"],
      direction: base["direction"],
    });
  };
  const reset = (): void => props.onApply({ order_by: base["order_by"], direction: base["direction"] });
  const toggle = (s: string): void => setStatus((cur) => (cur.includes(s) ? cur.filter((x) => x !== s) : [...cur, s]));
  const setTag = (i: number, patch: Partial<TagRow>): void => setTags((cur) => cur.map((t, j) => (j === i ? { ...t, ...patch } : t)));

  const active = Object.values(values).filter(Boolean).length + (status.length ? 1 : 0) + (tags.length ? 1 : 0);
  return h(
    "details",
    { class: "filters-box card", open: wide() },
    h("summary", null, "Filters", active ? ` (${active} active)` : ""),
    h(
      "form",
      { class: "filters", onSubmit: apply, role: "search", "aria-label": `Filter ${spec.noun}` },
      h(
        "div",
        { class: "filter-grid" },
        spec.filters.map((f) =>
          h(
            "label",
            { key: f.param, class: "fld" },
            h("span", null, f.label),
            h("input", {
              type: "text",
              name: f.param,
              value: values[f.param] ?? "",
              placeholder: f.placeholder ?? (f.substring ? "contains" : "pattern (% and _)"),
              title: f.substring
                ? "Matches a substring, ignoring case; % and _ make it a pattern"
                : "A pattern: % any text, _ one character",
              onInput: (e: Event) => setValues({ ...values, [f.param]: (e.currentTarget as HTMLInputElement).value }),
            }),
          ),
        ),
      ),
      h(
        "fieldset",
        { class: "status-filter" },
        h("legend", null, "Status"),
        props.statuses.map((s) =>
          h(
            "label",
            { key: s, class: "chk" },
            h("input", { type: "checkbox", name: "status", value: s, checked: status.includes(s), onChange: () => toggle(s) }),
            " ",
            s,
          ),
        ),
      ),
      spec.withTags
        ? h(
            "fieldset",
            { class: "tag-filter" },
            h("legend", null, "Tags"),
            tags.map((t, i) =>
              h(
                "div",
                { key: i, class: "tag-row" },
                h(
                  "label",
                  { class: "fld" },
                  h("span", null, `Tag ${i + 1} key`),
                  h("input", {
                    type: "text",
                    name: `tag-key-${i}`,
                    value: t.key,
                    onInput: (e: Event) => setTag(i, { key: (e.currentTarget as HTMLInputElement).value }),
                  }),
                ),
                h(
                  "label",
                  { class: "fld" },
                  h("span", null, `Tag ${i + 1} value`),
                  h("input", {
                    type: "text",
                    name: `tag-value-${i}`,
                    value: t.value,
                    onInput: (e: Event) => setTag(i, { value: (e.currentTarget as HTMLInputElement).value }),
                  }),
                ),
                h(
                  "button",
                  {
                    type: "button",
                    class: "btn btn-small",
                    "aria-label": `Remove tag ${i + 1}`,
                    onClick: () => setTags(tags.filter((_, j) => j !== i)),
                  },
                  "Remove",
                ),
              ),
            ),
            h("button", { type: "button", class: "btn btn-small", onClick: () => setTags([...tags, { key: "", value: "" }]) }, "+ Add tag"),
          )
        : null,
      h(
        "div",
        { class: "form-actions" },
        h("button", { type: "submit", class: "btn btn-primary" }, "Apply filters"),
        h("button", { type: "button", class: "btn", onClick: reset }, "Reset"),
      ),
    ),
  );
}

/** Filters start expanded except on phone-sized screens, where the results come first. */
const wide = (): boolean => typeof window.matchMedia !== "function" || window.matchMedia("(min-width: 641px)").matches;
