// Plain-text output of the CLI: aligned tables (display width, so wide characters and colours line up),
// key/value blocks, UTC times and durations.
import { createRequire } from "node:module";

const requireModule = createRequire(import.meta.url);
let stringWidthModule: typeof import("string-width").default | undefined;

/**
 * Display width of a cell: printable ASCII is its length; anything else (wide characters, colours) loads
 * string-width on first use, which costs about 60 ms of CPU that `heimdall --help` and plain tables do not pay.
 */
function stringWidth(s: string): number {
  if (/^[\x20-\x7e]*$/.test(s)) return s.length;
  stringWidthModule ??= (requireModule("string-width") as { default: typeof import("string-width").default }).default;
  return stringWidthModule(s);
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/** Formats epoch seconds as UTC `YYYY-MM-DD HH:mm:ssZ` ("" when absent). */
export function formatTime(v: unknown): string {
  if (typeof v !== "number" || !Number.isFinite(v)) return "";
  return `${new Date(v * 1000).toISOString().replace("T", " ").slice(0, 19)}Z`;
}

/** Formats an ISO timestamp (as the ECS task timeline has them) like formatTime. */
export function formatIsoTime(v: unknown): string {
  if (typeof v !== "string") return "";
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? formatTime(ms / 1000) : v;
}

/** `45s`, `2m 05s`, `1h 02m`, `3d 4h` ("" for a negative or non-finite value). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "";
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/**
 * A job's run time from `started_at` to `finished_at` (epoch seconds), or to `nowSec` while it runs; "" when it
 * never started (or the server predates these fields).
 */
export function jobDuration(job: Record<string, unknown>, nowSec = Date.now() / 1000): string {
  const start = job["started_at"];
  if (typeof start !== "number") return "";
  const end = typeof job["finished_at"] === "number" ? job["finished_at"] : nowSec;
  return formatDuration(end - start);
}

/**
 * An aligned table; columns are separated by two spaces and sized by display width (East Asian wide characters
 * count 2, ANSI colour codes 0). `decorate(text, row, col)` may colour a cell after its width is known.
 */
export function table(headers: string[], rows: unknown[][], decorate?: (text: string, row: number, col: number) => string): string {
  const text = rows.map((r) => headers.map((_, i) => cell(r[i]).replace(/[\r\n\t]+/g, " ")));
  const widths = headers.map((h, i) => Math.max(stringWidth(h), ...text.map((r) => stringWidth(r[i] ?? ""))));
  const line = (cols: string[], row: number) =>
    cols
      .map((c, i) => {
        const shown = row >= 0 && decorate ? decorate(c, row, i) : c;
        return i === cols.length - 1 ? shown : shown + " ".repeat(Math.max(0, (widths[i] ?? 0) - stringWidth(c)));
      })
      .join("  ")
      .trimEnd();
  return [line(headers, -1), ...text.map((r, i) => line(r, i))].join("\n") + "\n";
}

/** `key: value` lines, skipping absent values; objects and arrays are shown as compact JSON; times in UTC. */
export function keyValues(
  obj: Record<string, unknown>,
  timeKeys: readonly string[] = ["created_at", "updated_at", "started_at", "finished_at"],
): string {
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined && obj[k] !== null);
  const width = Math.max(0, ...keys.map((k) => k.length));
  return keys.map((k) => `${`${k}:`.padEnd(width + 2)}${timeKeys.includes(k) ? formatTime(obj[k]) : cell(obj[k])}`).join("\n") + "\n";
}
