// Abortable timers.

export function abortError(signal: AbortSignal): Error {
  const r = signal.reason as unknown;
  if (r instanceof Error) return r;
  const e = new Error("aborted");
  e.name = "AbortError";
  return e;
}

/** Resolves after `ms`, rejects with the abort reason when `signal` aborts first. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal));
    };
    const t = setTimeout(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Full-jitter exponential backoff: random in [0, min(cap, base * 2^n)], at least `floor` ms. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, floor = 0): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(floor, Math.random() * ceiling);
}

/** A signal that aborts when `parent` aborts or after `ms`; call dispose() when done (no lingering listeners). */
export function linkedSignal(parent: AbortSignal, ms: number): { signal: AbortSignal; dispose: () => void; timedOut: () => boolean } {
  const ctl = new AbortController();
  let fired = false;
  const onAbort = () => ctl.abort(parent.reason);
  const t = Number.isFinite(ms)
    ? setTimeout(
        () => {
          fired = true;
          ctl.abort(Object.assign(new Error("timed out"), { name: "TimeoutError" }));
        },
        Math.max(0, ms),
      )
    : undefined;
  if (parent.aborted) ctl.abort(parent.reason);
  else parent.addEventListener("abort", onAbort, { once: true });
  return {
    signal: ctl.signal,
    dispose: () => {
      if (t !== undefined) clearTimeout(t);
      parent.removeEventListener("abort", onAbort);
    },
    timedOut: () => fired,
  };
}
