// The server's logger: pino writing JSON lines, or human-readable lines through our own destination stream
// (`log_format: pretty`, the default on a TTY). Process warnings (e.g. the AWS SDK's Node version notice) are
// logged through it instead of Node's raw stderr text.
import pino from "pino";
import { colourWanted, palette } from "./colour.ts";
import type { Palette } from "./colour.ts";

export type LogFormat = "json" | "pretty";

interface Writable {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** Explicit `log_format`/`HEIMDALL_LOG_FORMAT` (already in the config), else pretty on a TTY and JSON otherwise. */
export function resolveLogFormat(configured: LogFormat | undefined, out: { isTTY?: boolean }): LogFormat {
  return configured ?? (out.isTTY === true ? "pretty" : "json");
}

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
/** Fields a pretty line leaves out (shown elsewhere on the line or the same on every line). */
const HIDDEN = new Set(["level", "time", "msg", "pid", "hostname", "v"]);
/** Fields shown first, in this order, when present. */
const FIRST = ["job_id", "job", "jobId", "instance", "plugin", "status"];

function levelText(level: unknown, c: Palette): string {
  const n = typeof level === "number" ? level : 30;
  const name = (LEVELS[n] ?? String(level)).padEnd(5);
  if (n >= 60) return c.bold(c.magenta(name));
  if (n >= 50) return c.red(name);
  if (n >= 40) return c.yellow(name);
  if (n >= 30) return c.green(name);
  return c.dim(name);
}

/** `2026-12-07 01:02:03.123Z` from pino's epoch milliseconds (or an ISO string). */
export function logTime(t: unknown): string {
  const d = typeof t === "number" || typeof t === "string" ? new Date(t) : new Date();
  const iso = Number.isNaN(d.getTime()) ? new Date().toISOString() : d.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}Z`;
}

/** A value compactly: bare when it has no spaces or quotes, else JSON. */
function compact(v: unknown): string {
  if (typeof v === "string") return v !== "" && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  return JSON.stringify(v) ?? String(v);
}

interface ErrLike {
  type?: unknown;
  message?: unknown;
  stack?: unknown;
  code?: unknown;
}

/** One pino JSON record as a readable line (plus an indented stack for errors at level error and above). */
export function formatRecord(rec: Record<string, unknown>, c: Palette = palette(false)): string {
  const level = typeof rec["level"] === "number" ? rec["level"] : 30;
  const parts = [c.dim(logTime(rec["time"])), levelText(level, c)];
  const msg = typeof rec["msg"] === "string" ? rec["msg"] : "";
  if (msg !== "") parts.push(level >= 50 ? c.bold(msg) : msg);
  const keys = Object.keys(rec).filter((k) => !HIDDEN.has(k));
  const ordered = [...FIRST.filter((k) => keys.includes(k)), ...keys.filter((k) => !FIRST.includes(k))];
  let stack: string | undefined;
  for (const k of ordered) {
    const v = rec[k];
    if (v === undefined) continue;
    if ((k === "err" || k === "error") && v !== null && typeof v === "object") {
      const e = v as ErrLike;
      const text = typeof e.message === "string" && e.message !== "" ? e.message : compact(v);
      const code = typeof e.code === "string" ? ` (${e.code})` : "";
      parts.push(`${c.dim(`${k}=`)}${c.red(compact(text + code))}`);
      if (level >= 50 && typeof e.stack === "string") stack = e.stack;
      continue;
    }
    parts.push(`${c.dim(`${k}=`)}${k === "job_id" || k === "job" || k === "jobId" ? c.cyan(compact(v)) : compact(v)}`);
  }
  let line = parts.join(" ");
  if (stack !== undefined) {
    const lines = stack.split("\n").slice(1, 12);
    if (lines.length > 0) line += `\n${c.dim(lines.map((l) => `    ${l.trim()}`).join("\n"))}`;
  }
  return `${line}\n`;
}

/** A pino destination stream that writes each JSON record as a pretty line to `out`. */
export class PrettyLogStream {
  private readonly c: Palette;
  constructor(
    private readonly out: Writable,
    colour: boolean,
  ) {
    this.c = palette(colour);
  }

  write(chunk: string): void {
    for (const raw of chunk.split("\n")) {
      if (raw.trim() === "") continue;
      let rec: unknown;
      try {
        rec = JSON.parse(raw);
      } catch {
        this.out.write(`${raw}\n`);
        continue;
      }
      this.out.write(rec !== null && typeof rec === "object" ? formatRecord(rec as Record<string, unknown>, this.c) : `${raw}\n`);
    }
  }
}

export interface ServerLoggerOptions {
  level: string;
  format?: LogFormat | undefined;
  /** Where lines go; default process.stdout. */
  out?: Writable;
  env?: NodeJS.ProcessEnv;
}

/** The server's pino logger in the chosen format; JSON goes to `out` unchanged. */
export function createServerLogger(o: ServerLoggerOptions): pino.Logger {
  const out = o.out ?? process.stdout;
  const opts = { level: o.level || "info" };
  let log: pino.Logger;
  if (resolveLogFormat(o.format, out) === "pretty")
    log = pino(opts, new PrettyLogStream(out, colourWanted(out, undefined, o.env ?? process.env)));
  else log = o.out === undefined ? pino(opts) : pino(opts, o.out as pino.DestinationStream);
  routeProcessWarnings(log);
  return log;
}

/**
 * Replaces Node's default warning printer (raw text on stderr) with a warn line through the logger. Call once;
 * the SDK's one-time notices are emitted when the first AWS client is built, after startup.
 */
export function routeProcessWarnings(log: pino.Logger): void {
  process.removeAllListeners("warning");
  process.on("warning", (w: Error & { code?: string; detail?: string }) => {
    const fields: Record<string, unknown> = { warning: w.name };
    if (w.code !== undefined) fields["code"] = w.code;
    if (w.detail !== undefined) fields["detail"] = w.detail;
    log.warn(fields, w.message.replace(/\s*\n\s*/g, " ").trim());
  });
}
