// A tiny history-API router: same-origin <a href> clicks navigate without a reload; /api links and links with
// a target or a modifier key are left to the browser.
import { useEffect, useState } from "preact/hooks";

export interface Loc {
  path: string;
  search: URLSearchParams;
  /** path + search, as it appears in the address bar. */
  href: string;
}

const listeners = new Set<() => void>();

function current(): Loc {
  return { path: location.pathname, search: new URLSearchParams(location.search), href: location.pathname + location.search };
}

export function navigate(href: string, opts: { replace?: boolean } = {}): void {
  if (href === location.pathname + location.search) {
    if (!opts.replace) return;
  }
  if (opts.replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  window.scrollTo(0, 0);
  for (const l of listeners) l();
}

export function useLocation(): Loc {
  const [loc, setLoc] = useState<Loc>(current);
  useEffect(() => {
    const update = (): void => setLoc(current());
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return loc;
}

/** Installs the document-level click handler that turns in-app links into history navigation. */
export function interceptLinks(): void {
  document.addEventListener("click", (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = (ev.target as Element | null)?.closest?.("a");
    if (!a || a.target || a.hasAttribute("download")) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/") || url.pathname === "/metrics") return;
    ev.preventDefault();
    navigate(url.pathname + url.search);
  });
}

/** Matches "/jobs/:id" style patterns; returns decoded params or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  if (p.length !== s.length) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i] ?? "";
    const val = s[i] ?? "";
    if (seg.startsWith(":")) {
      try {
        out[seg.slice(1)] = decodeURIComponent(val);
      } catch {
        return undefined;
      }
    } else if (seg !== val) return undefined;
  }
  return out;
}
