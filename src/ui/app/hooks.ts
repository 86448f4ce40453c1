// Data-loading hooks: useAsync (keeps the last data while refetching), the auto-refresh tick, toasts.
import { createContext } from "preact";
import { useContext, useEffect, useRef, useState } from "preact/hooks";
import { isAbort } from "./api.ts";

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` whenever a dependency changes or reload() is called; aborts the previous run. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(ctl.signal).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (!ctl.signal.aborted && !isAbort(error)) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
    return () => ctl.abort();
  }, [...deps, nonce]);
  return { ...state, reload: () => setNonce((n) => n + 1) };
}

/** Auto-refresh: the header selector's interval; pages add `tick` to their dependencies. */
export const RefreshContext = createContext<{ tick: number; intervalMs: number }>({ tick: 0, intervalMs: 0 });
export const useRefreshTick = (): number => useContext(RefreshContext).tick;

export const REFRESH_OPTIONS: { label: string; ms: number }[] = [
  { label: "Off", ms: 0 },
  { label: "5 s", ms: 5_000 },
  { label: "15 s", ms: 15_000 },
  { label: "30 s", ms: 30_000 },
  { label: "1 min", ms: 60_000 },
  { label: "5 min", ms: 300_000 },
];

/** The default interval when the browser has no stored choice: 5 s (issue 9). */
export const DEFAULT_REFRESH_MS = 5_000;

/** false while the tab is hidden (auto-refresh and ticking clocks pause). */
export function usePageVisible(): boolean {
  const [visible, setVisible] = useState(() => document.visibilityState !== "hidden");
  useEffect(() => {
    const on = (): void => setVisible(document.visibilityState !== "hidden");
    document.addEventListener("visibilitychange", on);
    return () => document.removeEventListener("visibilitychange", on);
  }, []);
  return visible;
}

/** The current time in epoch seconds, updated every second while `active` (running durations tick). */
export function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now() / 1000);
  useInterval(() => setNow(Date.now() / 1000), active ? 1000 : 0);
  return active ? now : Date.now() / 1000;
}

export function useInterval(fn: () => void, ms: number): void {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    if (!ms) return;
    const t = setInterval(() => saved.current(), ms);
    return () => clearInterval(t);
  }, [ms]);
}

export interface Toast {
  id: number;
  kind: "info" | "error";
  text: string;
}

let toastSeq = 0;
const toastListeners = new Set<(t: Toast[]) => void>();
let toasts: Toast[] = [];

function publish(): void {
  for (const l of toastListeners) l(toasts);
}

export function toast(text: string, kind: Toast["kind"] = "info"): void {
  const t = { id: ++toastSeq, kind, text };
  toasts = [...toasts, t];
  publish();
  setTimeout(() => dismissToast(t.id), 6000);
}

export function dismissToast(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  publish();
}

export function useToasts(): Toast[] {
  const [list, setList] = useState<Toast[]>(toasts);
  useEffect(() => {
    toastListeners.add(setList);
    return () => {
      toastListeners.delete(setList);
    };
  }, []);
  return list;
}
