// GetLogEvents / FilterLogEvents paging over disk-backed streams.
import { AwsError } from "../protocol.ts";
import type { LogEvent, LogStream } from "./stream.ts";

const PAGE_BYTES = 1_048_576;
const EVENT_OVERHEAD = 26;
/** Max bytes scanned per call; a page may come back partial (as AWS allows) when this is hit. */
const SCAN_BYTES = 16 * 1_048_576;

const invalidToken = (): AwsError => new AwsError("InvalidParameterException", "The specified nextToken is invalid.");

export const forwardToken = (i: number): string => `f/${String(i).padStart(56, "0")}/s`;
export const backwardToken = (i: number): string => `b/${String(i).padStart(56, "0")}/s`;

function parseToken(t: string, count: number): { dir: "f" | "b"; index: number } {
  const m = /^([fb])\/(\d{56})(?:\/s)?$/.exec(t);
  if (!m) throw invalidToken();
  const index = Number(m[2]);
  if (!Number.isSafeInteger(index) || index > count) throw invalidToken();
  return { dir: m[1] as "f" | "b", index };
}

const bytesOf = (e: LogEvent): number => Buffer.byteLength(e.message, "utf8") + EVENT_OVERHEAD;

export interface GetLogEventsInput {
  startTime?: number;
  endTime?: number;
  nextToken?: string;
  limit: number;
  startFromHead: boolean;
}

export interface GetLogEventsOutput {
  events: LogEvent[];
  nextForwardToken: string;
  nextBackwardToken: string;
}

export function getLogEvents(s: LogStream, q: GetLogEventsInput): GetLogEventsOutput {
  const start = q.startTime ?? -Infinity;
  const end = q.endTime ?? Infinity; // exclusive
  const inRange = (e: LogEvent): boolean => e.timestamp >= start && e.timestamp < end;
  const { dir, index } =
    q.nextToken !== undefined ? parseToken(q.nextToken, s.count) : q.startFromHead ? { dir: "f", index: 0 } : { dir: "b", index: s.count };

  const events: LogEvent[] = [];
  let bytes = 0;
  let scanned = 0;
  /** Counts `e` as scanned and adds it when in range; false (not added) when the page is full. */
  const take = (e: LogEvent): boolean => {
    scanned += e.message.length + 20;
    if (!inRange(e)) return true;
    const n = bytesOf(e);
    if (events.length >= q.limit || (bytes + n > PAGE_BYTES && events.length > 0)) return false;
    events.push(e);
    bytes += n;
    return true;
  };
  if (dir === "f") {
    let i = index;
    while (i < s.count && events.length < q.limit && scanned < SCAN_BYTES) {
      const b = s.blockOf(i);
      const first = s.blockFirstIndex(b);
      const next = s.blockFirstIndex(b + 1);
      if (s.blockMaxTs(b) < start || s.blockMinTs(b) >= end) {
        i = next;
        continue;
      }
      const block = s.readBlock(b);
      let full = false;
      for (let k = i - first; k < block.length; k++) {
        if (!take(block[k]!)) {
          full = true;
          break;
        }
        i = first + k + 1;
      }
      if (full) break;
    }
    const nextForwardToken = i === index && q.nextToken !== undefined ? q.nextToken : forwardToken(i);
    return { events, nextForwardToken, nextBackwardToken: backwardToken(index) };
  }
  // Backward: events before `index`, newest first while collecting, returned oldest first.
  let i = index; // exclusive upper bound of what remains unscanned
  while (i > 0 && events.length < q.limit && scanned < SCAN_BYTES) {
    const b = s.blockOf(i - 1);
    const first = s.blockFirstIndex(b);
    if (s.blockMaxTs(b) < start || s.blockMinTs(b) >= end) {
      i = first;
      continue;
    }
    const block = s.readBlock(b);
    let full = false;
    for (let k = i - 1 - first; k >= 0; k--) {
      if (!take(block[k]!)) {
        full = true;
        break;
      }
      i = first + k;
    }
    if (full) break;
  }
  events.reverse();
  const nextBackwardToken = i === index && q.nextToken !== undefined ? q.nextToken : backwardToken(i);
  return { events, nextForwardToken: forwardToken(index), nextBackwardToken };
}

export interface FilterInput {
  streams: LogStream[];
  startTime?: number;
  endTime?: number;
  filterPattern?: string;
  nextToken?: string;
  limit: number;
}

export interface FilteredEvent extends LogEvent {
  logStreamName: string;
  eventId: string;
}

/** Minimal filter pattern: terms must all appear; "quoted phrases"; ?term = any-of; -term = exclude. */
export function compileFilter(pattern: string | undefined): (msg: string) => boolean {
  const p = (pattern ?? "").trim();
  if (!p) return () => true;
  const terms = [...p.matchAll(/([?-]?)"([^"]*)"|([?-]?)(\S+)/g)].map((m) => ({
    op: (m[1] ?? m[3] ?? "") as "" | "?" | "-",
    text: m[2] ?? m[4] ?? "",
  }));
  const all = terms.filter((t) => t.op === "");
  const any = terms.filter((t) => t.op === "?");
  const none = terms.filter((t) => t.op === "-");
  return (msg) =>
    all.every((t) => msg.includes(t.text)) &&
    (any.length === 0 || any.some((t) => msg.includes(t.text))) &&
    !none.some((t) => msg.includes(t.text));
}

function decodeFilterToken(t: string | undefined): Record<string, number> {
  if (t === undefined) return {};
  try {
    const v = JSON.parse(Buffer.from(t, "base64url").toString("utf8")) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v) && Object.values(v).every((x) => Number.isSafeInteger(x) && (x as number) >= 0))
      return v as Record<string, number>;
  } catch {
    /* invalid */
  }
  throw invalidToken();
}

/** Interleaves the streams by timestamp (endTime inclusive, per the FilterLogEvents docs). */
export function filterLogEvents(q: FilterInput): { events: FilteredEvent[]; nextToken?: string } {
  const pos = decodeFilterToken(q.nextToken);
  const start = q.startTime ?? -Infinity;
  const end = q.endTime ?? Infinity;
  const match = compileFilter(q.filterPattern);
  const cursors = q.streams.map((s, ordinal) => ({ s, ordinal, i: Math.min(pos[s.name] ?? 0, s.count) }));
  const peek = (c: (typeof cursors)[number]): LogEvent | undefined => {
    while (c.i < c.s.count) {
      const b = c.s.blockOf(c.i);
      if (c.s.blockMaxTs(b) < start) {
        c.i = c.s.blockFirstIndex(b + 1);
        continue;
      }
      return c.s.readBlock(b)[c.i - c.s.blockFirstIndex(b)];
    }
    return undefined;
  };
  const events: FilteredEvent[] = [];
  let bytes = 0;
  let scanned = 0;
  for (;;) {
    let best: (typeof cursors)[number] | undefined;
    let bestEv: LogEvent | undefined;
    for (const c of cursors) {
      const e = peek(c);
      if (e && e.timestamp <= end && (!bestEv || e.timestamp < bestEv.timestamp)) {
        best = c;
        bestEv = e;
      }
    }
    if (!best || !bestEv) return { events };
    if (events.length >= q.limit || scanned >= SCAN_BYTES) break;
    if (bestEv.timestamp >= start && match(bestEv.message)) {
      const n = bytesOf(bestEv);
      if (bytes + n > PAGE_BYTES && events.length > 0) break;
      bytes += n;
      events.push({
        ...bestEv,
        logStreamName: best.s.name,
        eventId: `${String(best.ordinal).padStart(8, "0")}${String(best.i).padStart(48, "0")}`,
      });
    }
    scanned += bestEv.message.length + 20;
    best.i++;
  }
  const token: Record<string, number> = {};
  for (const c of cursors) if (c.i > 0) token[c.s.name] = c.i;
  return { events, nextToken: Buffer.from(JSON.stringify(token)).toString("base64url") };
}
