// Small presentational pieces shared by the pages.
import { h, type ComponentChildren, type VNode } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { errorMessage } from "./api.ts";
import { fmtDate, jobStatusClass, registryStatusClass } from "./format.ts";

export function StatusTag(props: { status: string | undefined; kind?: "job" | "registry" | "custom"; cls?: string }): VNode<any> {
  const cls = props.cls ?? (props.kind === "registry" ? registryStatusClass(props.status) : jobStatusClass(props.status));
  return h("span", { class: `status ${cls}`, "data-status": props.status ?? "" }, props.status ?? "—");
}

export function TagList(props: { tags: string[] | undefined; label: string }): VNode<any> {
  const tags = props.tags ?? [];
  if (!tags.length) return h("p", { class: "muted" }, "none");
  return h(
    "ul",
    { class: "tags", "aria-label": props.label },
    tags.map((t) => h("li", { key: t, class: t.startsWith("_") ? "tag tag-system" : "tag" }, t)),
  );
}

export function Section(props: { title: string; children?: ComponentChildren; actions?: ComponentChildren; id?: string }): VNode<any> {
  return h(
    "section",
    { class: "card", "aria-labelledby": props.id ? `${props.id}-h` : undefined, id: props.id },
    h("div", { class: "card-head" }, h("h2", { id: props.id ? `${props.id}-h` : undefined }, props.title), props.actions),
    props.children,
  );
}

/** A definition list of label → value rows; rows whose value is undefined are skipped. */
export function Fields(props: { rows: [string, ComponentChildren | undefined][] }): VNode<any> {
  return h(
    "dl",
    { class: "fields" },
    props.rows
      .filter(([, v]) => v !== undefined && v !== null && v !== "")
      .map(([k, v]) => h("div", { key: k, class: "field" }, h("dt", null, k), h("dd", null, v))),
  );
}

export function JsonBlock(props: { value: unknown; label: string }): VNode<any> {
  return h("pre", { class: "json", tabIndex: 0, "aria-label": props.label }, JSON.stringify(props.value, null, 2));
}

/** `context.properties` shown as key: value rows (spec 12). */
export function Properties(props: { context: Record<string, unknown> | null | undefined }): VNode<any> | null {
  const p = props.context?.["properties"];
  if (!p || typeof p !== "object" || Array.isArray(p)) return null;
  const rows = Object.entries(p as Record<string, unknown>);
  return h(
    Section,
    { title: "Properties" },
    h(Fields, { rows: rows.map(([k, v]): [string, string] => [k, typeof v === "string" ? v : JSON.stringify(v)]) }),
  );
}

export function ErrorAlert(props: { error: unknown; title?: string }): VNode<any> | null {
  if (props.error === undefined || props.error === null) return null;
  return h(
    "div",
    { class: "alert alert-error", role: "alert" },
    props.title ? h("strong", null, `${props.title}: `) : null,
    errorMessage(props.error),
  );
}

export function Loading(props: { what: string }): VNode<any> {
  return h("p", { class: "muted", role: "status" }, `Loading ${props.what}…`);
}

export interface Crumb {
  label: string;
  href?: string;
}

export function Breadcrumbs(props: { items: Crumb[] }): VNode<any> {
  return h(
    "nav",
    { class: "breadcrumbs", "aria-label": "Breadcrumb" },
    h(
      "ol",
      null,
      props.items.map((c, i) =>
        h(
          "li",
          { key: i },
          c.href && i < props.items.length - 1 ? h("a", { href: c.href }, c.label) : h("span", { "aria-current": "page" }, c.label),
        ),
      ),
    ),
  );
}

/** A modal confirmation built on <dialog> (focus is trapped and Escape closes it). */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  body: string;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
}): VNode<any> {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return h(
    "dialog",
    { ref, class: "dialog", "aria-labelledby": "dlg-title", onClose: props.onClose },
    h("h2", { id: "dlg-title" }, props.title),
    h("p", null, props.body),
    h(
      "div",
      { class: "dialog-actions" },
      h("button", { type: "button", class: "btn", onClick: props.onClose }, "Keep running"),
      h("button", { type: "button", class: "btn btn-danger", onClick: props.onConfirm }, props.confirmLabel),
    ),
  );
}

export function ExternalLink(props: { href: string; children?: ComponentChildren }): VNode<any> {
  return h("a", { href: props.href, target: "_blank", rel: "noopener noreferrer" }, props.children);
}

/** Only http(s) and relative URLs are rendered as links (attribute values come from templates). */
export function safeHref(value: string): string | undefined {
  try {
    const u = new URL(value, location.href);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** A date for table cells: may wrap between the day and the time, never inside either; the zone follows the time. */
export function DateText(props: { epoch: number | undefined | null }): VNode<any> {
  const [day, time, ...zone] = fmtDate(props.epoch).split(" ");
  return h(
    "span",
    { class: "date-text" },
    h("span", null, day),
    time ? " " : null,
    time ? h("span", null, time, zone.length ? h("span", { class: "tz" }, ` ${zone.join(" ")}`) : null) : null,
  );
}

/** Copies `text` to the clipboard; says "Copied" for a moment (and via a polite live region). */
export function CopyButton(props: { text: string; what: string }): VNode<any> {
  const [done, setDone] = useState<"" | "ok" | "fail">("");
  const copy = async (): Promise<void> => {
    try {
      await copyText(props.text);
      setDone("ok");
    } catch {
      setDone("fail");
    }
    setTimeout(() => setDone(""), 1500);
  };
  return h(
    "button",
    {
      type: "button",
      class: "btn btn-copy",
      "aria-label": `Copy ${props.what}`,
      title: `Copy ${props.what}`,
      "data-copy": props.text,
      onClick: () => void copy(),
    },
    done === "ok"
      ? h("span", { "aria-hidden": "true" }, "✓")
      : done === "fail"
        ? h("span", { "aria-hidden": "true" }, "✗")
        : h(
            "svg",
            { viewBox: "0 0 16 16", width: 12, height: 12, "aria-hidden": "true", class: "icon" },
            h("rect", { x: 5, y: 5, width: 9, height: 9, rx: 1.5, fill: "none", stroke: "currentColor", "stroke-width": 1.6 }),
            h("path", { d: "M3 11V3.5C3 2.7 3.7 2 4.5 2H11", fill: "none", stroke: "currentColor", "stroke-width": 1.6 }),
          ),
    h("span", { class: "sr-only", "aria-live": "polite" }, done === "ok" ? "Copied" : done === "fail" ? "Copy failed" : ""),
  );
}

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // http:// on a non-loopback host has no Clipboard API: fall back to a hidden textarea.
  const ta = document.createElement("textarea");
  ta.value = text;
  ta.setAttribute("readonly", "");
  ta.style.position = "fixed";
  ta.style.opacity = "0";
  document.body.appendChild(ta);
  ta.select();
  const ok = document.execCommand("copy");
  ta.remove();
  if (!ok) throw new Error("copy refused");
}

/** A value in monospace with a copy button beside it. */
export function Copyable(props: { text: string; what: string; cls?: string }): VNode<any> {
  return h(
    "span",
    { class: "copyable" },
    h("code", { class: props.cls ?? "id" }, props.text),
    " ",
    h(CopyButton, { text: props.text, what: props.what }),
  );
}
