// `heimdall job logs`: a job's stdout/stderr file (tailed with ?offset=), and for ECS jobs with --follow every
// task attempt's lines live from GET /api/v1/job/{id}/logs?follow=true (NDJSON), prefixed `[slot.attempt]` like
// `docker compose logs -f`, resuming from the last cursor when the connection drops.
import type { ApiClient } from "./client.ts";
import { CliError } from "./client.ts";
import type { Palette } from "./colour.ts";
import { formatTime } from "./format.ts";

export const FINAL = new Set(["FAILED", "KILLED", "SUCCEEDED", "CANCELED"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One NDJSON item of GET …/logs: a line (with `message`) or a control line. */
interface LogItem {
  slot?: number;
  attempt?: number;
  container?: string;
  timestamp?: number;
  message?: string;
  cursor?: string;
  heartbeat?: boolean;
  end?: boolean;
  status?: string;
}

export interface FollowOptions {
  /** Only this slot's attempts. */
  slot?: number | undefined;
  /** Prefix each line with its UTC time. */
  timestamps?: boolean | undefined;
  colour: Palette;
  /** Give up after this long without a working connection (default 120 s). */
  reconnectForMs?: number;
  /** A stream silent this long (no line, no heartbeat) counts as dropped (default 45 s = 3 heartbeats). */
  silenceMs?: number;
  out?: (s: string) => void;
  err?: (s: string) => void;
}

/** The result of following: the job's final status, or `unsupported` when the job is not an ECS job (HTTP 400). */
export type FollowResult = { kind: "final"; status: string } | { kind: "unsupported" };

/** Prefix of a line: `[slot.attempt]`, plus the container when the task has more than one. */
function prefixer(c: Palette): (it: LogItem) => string {
  let firstContainer: string | undefined;
  return (it) => {
    firstContainer ??= it.container;
    const extra = it.container !== undefined && it.container !== firstContainer ? ` ${it.container}` : "";
    return c.slot(it.slot ?? 0, `[${it.slot ?? "?"}.${it.attempt ?? "?"}${extra}]`);
  };
}

/** Reads NDJSON items from a response body; resolves when it ends, rejects when it breaks or stays silent. */
async function readItems(body: ReadableStream<Uint8Array>, silenceMs: number, onItem: (it: LogItem) => boolean): Promise<boolean> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void reader.cancel(new Error("silent")).catch(() => undefined), silenceMs);
  };
  try {
    arm();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return false;
      arm();
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line === "") continue;
        let item: LogItem;
        try {
          item = JSON.parse(line) as LogItem;
        } catch {
          continue; // a torn line of a dropped connection: the cursor re-reads it
        }
        if (onItem(item)) return true;
      }
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
}

/**
 * Follows every task's lines of an ECS job until the end line; returns its status. Reconnects from the last
 * cursor when the stream drops or falls silent; gives up (exit 2) after `reconnectForMs` without a connection.
 */
export async function followJobLogs(api: ApiClient, id: string, o: FollowOptions): Promise<FollowResult> {
  const out = o.out ?? ((s: string) => void process.stdout.write(s));
  const err = o.err ?? ((s: string) => void process.stderr.write(s));
  const prefix = prefixer(o.colour);
  const reconnectForMs = o.reconnectForMs ?? 120_000;
  let cursor: string | undefined;
  let status: string | undefined;
  let failingSince: number | undefined;
  let first = true;
  let failures = 0;
  for (;;) {
    let ended = false;
    try {
      const url = api.url(`/job/${encodeURIComponent(id)}/logs`, { follow: "true", cursor, slot: o.slot });
      const res = await api.raw("GET", url, undefined, { Accept: "application/x-ndjson" });
      if (!res.ok) {
        const body = (await res.json().catch(() => ({}))) as { error?: string };
        // Not an ECS job (400), or a server without this route (404 on the first request): the caller falls back.
        if (first && (res.status === 400 || (res.status === 404 && !/unknown job/i.test(body.error ?? "")))) return { kind: "unsupported" };
        if (res.status < 500) throw new CliError(`${body.error ?? `HTTP ${res.status}`} [HTTP ${res.status}]`);
        throw new Error(`HTTP ${res.status}`);
      }
      first = false;
      if (res.body === null) throw new Error("empty response");
      ended = await readItems(res.body, o.silenceMs ?? 45_000, (it) => {
        failingSince = undefined;
        if (typeof it.message === "string") {
          const time = o.timestamps && typeof it.timestamp === "number" ? `${o.colour.dim(formatTime(it.timestamp / 1000))} ` : "";
          out(`${prefix(it)} ${time}${it.message.replace(/\r?\n$/, "")}\n`);
          if (typeof it.cursor === "string") cursor = it.cursor;
          return false;
        }
        if (it.end === true) {
          status = typeof it.status === "string" ? it.status : "UNKNOWN";
          return true;
        }
        return false; // heartbeat
      });
    } catch (e) {
      // Errors of the server's answer, and an unreachable server before anything was read, end the command.
      if (e instanceof CliError && (e.exitCode !== 2 || first)) throw e;
    }
    if (ended && status !== undefined) return { kind: "final", status };
    // Dropped (server restart, network, silence): resume from the last line's cursor.
    if (failingSince === undefined) {
      failingSince = Date.now();
      failures = 0;
      err(o.colour.dim("(log stream interrupted; reconnecting)\n"));
    }
    if (Date.now() - failingSince > reconnectForMs) {
      throw new CliError(`lost the log stream of job ${id} and could not reconnect within ${Math.round(reconnectForMs / 1000)}s`, 2);
    }
    await sleep(Math.min(5000, 250 * 2 ** Math.min(failures++, 5)));
  }
}

/**
 * Prints a job file; with `follow`, tails via ?offset= and X-Heimdall-File-Size until the job is final.
 * Returns the job status of the last answer.
 */
export async function tailLogs(api: ApiClient, id: string, file: "stdout" | "stderr", follow: boolean): Promise<string> {
  let offset = 0;
  for (;;) {
    const res = await api.raw("GET", api.url(`/job/${encodeURIComponent(id)}/${file}`, { offset }));
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      throw new CliError(`${body.error ?? `HTTP ${res.status}`} [HTTP ${res.status}]`);
    }
    const buf = Buffer.from(await res.arrayBuffer());
    if (buf.length > 0) process.stdout.write(buf);
    const size = Number(res.headers.get("x-heimdall-file-size") ?? offset + buf.length);
    offset = Math.max(offset + buf.length, Number.isFinite(size) ? size : 0);
    const status = res.headers.get("x-heimdall-job-status") ?? "";
    if (!follow || FINAL.has(status)) return status;
    await sleep(1000);
  }
}

/** The last `bytes` of a job file ("" when empty or unreadable). */
export async function fileTail(api: ApiClient, id: string, file: "stdout" | "stderr", bytes: number): Promise<string> {
  try {
    const res = await api.raw("GET", api.url(`/job/${encodeURIComponent(id)}/${file}`, { offset: -bytes }));
    if (!res.ok) return "";
    return await res.text();
  } catch {
    return "";
  }
}
