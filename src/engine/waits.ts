// Small helpers of the engine: timers, bounded waits, stable JSON, error text.
import { errorMessage, truncateChars } from "../core/index.ts";

export const MAX_ERROR_CHARS = 1024;

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

/** An error message truncated to 1024 characters (spec 2.4). */
export function jobError(err: unknown): string {
  return truncateChars(errorMessage(err), MAX_ERROR_CHARS);
}

/** JSON with object keys sorted, to compare definitions regardless of key order. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(",")}}`;
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
