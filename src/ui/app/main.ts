// Entry point of the browser bundle: the shell (left navigation, header with account and auto-refresh, footer)
// and the routes of spec 12.
import "./styles.css";
import { h, render, type VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import { apiGet } from "./api.ts";
import { cookie } from "./format.ts";
import { DEFAULT_REFRESH_MS, REFRESH_OPTIONS, RefreshContext, dismissToast, useInterval, usePageVisible, useToasts } from "./hooks.ts";
import { JobDetailPage } from "./pages/job-detail.ts";
import { ClustersPage, CommandsPage, JobsPage } from "./pages/lists.ts";
import { OverviewPage } from "./pages/overview.ts";
import { ClusterDetailPage, CommandDetailPage } from "./pages/registry-detail.ts";
import { SubmitPage } from "./pages/submit.ts";
import { interceptLinks, match, navigate, useLocation, type Loc } from "./router.ts";

const REFRESH_KEY = "heimdall-auto-refresh";

function Routes(props: { loc: Loc }): VNode<any> {
  const { loc } = props;
  const p = loc.path.length > 1 ? loc.path.replace(/\/$/, "") : loc.path;
  let m: Record<string, string> | undefined;
  if (p === "/") return h(OverviewPage, {});
  if (p === "/jobs") return h(JobsPage, { loc });
  if (p === "/submit") return h(SubmitPage, { loc });
  if ((m = match("/jobs/:id", p))) return h(JobDetailPage, { key: m["id"], id: m["id"] ?? "" });
  if (p === "/commands") return h(CommandsPage, { loc });
  if ((m = match("/commands/:id", p))) return h(CommandDetailPage, { key: m["id"], id: m["id"] ?? "" });
  if (p === "/clusters") return h(ClustersPage, { loc });
  if ((m = match("/clusters/:id", p))) return h(ClusterDetailPage, { key: m["id"], id: m["id"] ?? "" });
  return h(
    "div",
    { class: "page" },
    h("h1", null, "Page not found"),
    h("p", null, `Nothing lives at ${loc.path}. `, h("a", { href: "/jobs" }, "Go to the jobs list"), "."),
  );
}

const NAV = [
  { href: "/", label: "Overview" },
  { href: "/jobs", label: "Jobs" },
  { href: "/submit", label: "Submit" },
  { href: "/commands", label: "Commands" },
  { href: "/clusters", label: "Clusters" },
];

function App(): VNode<any> {
  const loc = useLocation();
  const [intervalMs, setIntervalMs] = useState<number>(() => {
    const stored = localStorage.getItem(REFRESH_KEY);
    return stored === null ? DEFAULT_REFRESH_MS : Number(stored) || 0;
  });
  const visible = usePageVisible();
  const [tick, setTick] = useState(0);
  const [version, setVersion] = useState(() => cookie("heimdall-version") ?? "");
  const user = cookie("heimdall-user") ?? "";
  const toasts = useToasts();
  // Auto-refresh pauses while the tab is hidden and catches up once when it shows again.
  useInterval(() => setTick((t) => t + 1), visible ? intervalMs : 0);
  useEffect(() => {
    if (visible && intervalMs) setTick((t) => t + 1);
  }, [visible]);
  useEffect(() => {
    // Before the overview existed, `/` was the jobs list: its old links (`/?status=…`) land on `/jobs?…`.
    if (loc.path === "/" && loc.search.toString()) navigate(`/jobs?${loc.search.toString()}`, { replace: true });
  }, [loc.href]);
  useEffect(() => {
    if (version) return;
    apiGet<{ version?: string }>("/health").then(
      (hl) => setVersion(hl.version ?? ""),
      () => undefined,
    );
  }, [version]);
  useEffect(() => {
    const section = NAV.find((n) => loc.path === n.href || (n.href !== "/" && loc.path.startsWith(`${n.href}/`)));
    document.title = section ? `${section.label} · Heimdall` : "Heimdall";
  }, [loc.path]);
  const onRefresh = (e: Event): void => {
    const ms = Number((e.currentTarget as HTMLSelectElement).value) || 0;
    localStorage.setItem(REFRESH_KEY, String(ms));
    setIntervalMs(ms);
  };
  const active = (href: string): boolean => loc.path === href || (href !== "/submit" && href !== "/" && loc.path.startsWith(`${href}/`));

  return h(
    RefreshContext.Provider,
    { value: { tick, intervalMs } },
    h("a", { class: "skip", href: "#main" }, "Skip to content"),
    h(
      "div",
      { class: "shell" },
      h(
        "nav",
        { class: "sidenav", "aria-label": "Main" },
        h("a", { class: "brand", href: "/" }, "Heimdall"),
        h(
          "ul",
          null,
          NAV.map((n) => h("li", { key: n.href }, h("a", { href: n.href, "aria-current": active(n.href) ? "page" : undefined }, n.label))),
        ),
      ),
      h(
        "div",
        { class: "content" },
        h(
          "header",
          { class: "topbar" },
          h(
            "label",
            { class: "refresh" },
            h("span", null, "Auto Refresh"),
            h(
              "select",
              { value: String(intervalMs), onChange: onRefresh, name: "auto-refresh" },
              REFRESH_OPTIONS.map((o) => h("option", { key: o.ms, value: String(o.ms) }, o.label)),
            ),
          ),
          h(
            "span",
            { class: "account", title: "Signed-in account" },
            h(
              "svg",
              { viewBox: "0 0 16 16", width: 14, height: 14, "aria-hidden": "true", class: "icon" },
              h("circle", { cx: 8, cy: 5, r: 3, fill: "currentColor" }),
              h("path", { d: "M2 15c0-3.3 2.7-5 6-5s6 1.7 6 5z", fill: "currentColor" }),
            ),
            h("span", { class: "sr-only" }, "Account: "),
            h("span", { "data-testid": "account" }, user || "anonymous"),
          ),
        ),
        h("main", { id: "main", tabIndex: -1 }, h(Routes, { loc })),
        h("footer", { class: "footer" }, `© ${new Date().getFullYear()}, v${version || "?"}`),
      ),
    ),
    h(
      "div",
      { class: "toasts", role: "status", "aria-live": "polite" },
      toasts.map((t) =>
        h(
          "div",
          { key: t.id, class: `toast toast-${t.kind}` },
          h("span", null, t.text),
          h("button", { type: "button", class: "btn btn-small", "aria-label": "Dismiss", onClick: () => dismissToast(t.id) }, "×"),
        ),
      ),
    ),
  );
}

interceptLinks();
const root = document.getElementById("app");
if (root) render(h(App, null), root);
