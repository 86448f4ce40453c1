// Waiting in the engine: the one (abortable) sleep, abort signals as promises, a resettable wake-up, and plugin
// calls bounded by a timeout.

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Resolves when the signal aborts (immediately when it already has). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

export type BoundedOutcome = { ok: true } | { ok: false; err: unknown } | "timeout";

/**
 * Calls a plugin function with a signal that aborts with `reason` after `ms`; then resolves "timeout" without
 * waiting longer. A throw or rejection is returned, never thrown.
 */
export async function callBounded(fn: (signal: AbortSignal) => unknown, ms: number, reason: unknown): Promise<BoundedOutcome> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => {
      ac.abort(reason);
      resolve("timeout");
    }, ms);
  });
  const call = Promise.resolve()
    .then(() => fn(ac.signal))
    .then(
      (): BoundedOutcome => ({ ok: true }),
      (err: unknown): BoundedOutcome => ({ ok: false, err }),
    );
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A resettable wake-up: wait() resolves on the next wake() (or at once when one is pending) or after ms. */
export class Waker {
  private pending = false;
  private resolve: (() => void) | undefined;

  wake(): void {
    this.pending = true;
    const r = this.resolve;
    this.resolve = undefined;
    r?.();
  }

  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.resolve = undefined;
        resolve();
      }, ms);
      this.resolve = () => {
        clearTimeout(t);
        this.pending = false;
        resolve();
      };
    });
  }
}
