// GET /api/v1/job/{id}/logs for ECS jobs (issue 9): one subscriber of the job's shared feed. Lines of all task
// attempts merged by timestamp, each with the cursor that resumes right after it; heartbeats while following; an
// end item last. A cursor older than the feed's buffer is caught up with the subscriber's own reads.
import type { JobLogItem, JobLogsQuery, PluginLogger } from "../contract.ts";
import type { Endpoint } from "./aws.ts";
import { decodeCursor, encodeCursor } from "./log-cursor.ts";
import type { StreamPos } from "./log-cursor.ts";
import { feedFor, readPage } from "./log-feed.ts";
import type { FeedEvent, FeedStream, JobLogFeed } from "./log-feed.ts";
import type { JobState } from "./state.ts";
import { ecsStats } from "./stats.ts";

export const HEARTBEAT_MS = 15_000;

type Line = Extract<JobLogItem, { message: string }>;

/** Validates the cursor now (BAD_REQUEST), then returns the stream of items. */
export function jobLogItems(state: JobState, q: JobLogsQuery, signal: AbortSignal, log: PluginLogger): AsyncIterable<JobLogItem> {
  const positions = q.cursor === undefined || q.cursor === "" ? new Map<string, StreamPos>() : decodeCursor(q.cursor);
  return subscribe(state, positions, q, signal, log);
}

async function* subscribe(
  state: JobState,
  positions: Map<string, StreamPos>,
  q: JobLogsQuery,
  signal: AbortSignal,
  log: PluginLogger,
): AsyncGenerator<JobLogItem> {
  const feed = feedFor(state, q.jobStatus, log);
  feed.acquire();
  try {
    const heartbeatMs = q.heartbeatMs ?? HEARTBEAT_MS;
    // Without follow: what exists now, i.e. as read by a round that started after this request.
    const fresh = feed.rounds + (feed.inRound ? 2 : 1);
    let lastOutput = Date.now();
    while (!signal.aborted) {
      const ready = q.follow || feed.rounds >= fresh || feed.endStatus !== undefined;
      const ended = ready ? feed.endStatus : undefined;
      if (ready) {
        for await (const line of deliver(feed, positions, q.slot, signal)) {
          lastOutput = Date.now();
          yield line;
        }
        if (ended !== undefined) {
          yield { end: true, status: ended };
          return;
        }
        if (!q.follow) {
          yield { end: false, status: feed.status, cursor: encodeCursor(positions) };
          return;
        }
      }
      const quiet = Date.now() - lastOutput;
      if (q.follow && quiet >= heartbeatMs) {
        lastOutput = Date.now();
        yield { heartbeat: true };
        continue;
      }
      await feed.changed(signal, q.follow ? heartbeatMs - quiet : heartbeatMs);
    }
  } finally {
    feed.release();
  }
}

function lineOf(s: FeedStream, e: FeedEvent, positions: Map<string, StreamPos>): Line {
  positions.set(s.key, { n: e.n + 1, ts: e.ts, k: e.k });
  return { slot: s.slot, attempt: s.attempt, container: s.container, timestamp: e.ts, message: e.message, cursor: encodeCursor(positions) };
}

/** Everything after the positions: first the streams the buffer no longer reaches back for, then a merge by time. */
async function* deliver(
  feed: JobLogFeed,
  positions: Map<string, StreamPos>,
  slot: number | undefined,
  signal: AbortSignal,
): AsyncGenerator<Line> {
  const streams = feed.streams.filter((s) => slot === undefined || s.slot === slot);
  for (const s of streams) {
    const first = s.events[0];
    if (first !== undefined && (positions.get(s.key)?.n ?? 0) < first.n) yield* catchUp(feed.ep!, s, first.n, positions, signal);
  }
  const lists = streams.map((s) => {
    const first = s.events[0];
    if (first === undefined) return [];
    return s.events.slice(Math.max(0, (positions.get(s.key)?.n ?? 0) - first.n));
  });
  const at = lists.map(() => 0);
  for (;;) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const e = lists[i]![at[i]!];
      if (e !== undefined && (best < 0 || e.ts < lists[best]![at[best]!]!.ts)) best = i;
    }
    if (best < 0) return;
    const e = lists[best]![at[best]!]!;
    at[best]!++;
    yield lineOf(streams[best]!, e, positions);
  }
}

/** The subscriber's own reads of one stream, from its position up to event `untilN` (where the buffer starts). */
async function* catchUp(
  ep: Endpoint,
  s: FeedStream,
  untilN: number,
  positions: Map<string, StreamPos>,
  signal: AbortSignal,
): AsyncGenerator<Line> {
  const pos = positions.get(s.key);
  let n = pos?.n ?? 0;
  let prev: { ts: number; k: number } | undefined = pos;
  let skipping = pos !== undefined;
  let skipped = 0;
  let token: string | undefined;
  for (;;) {
    const page = await readPage(ep, s, token !== undefined ? { token } : pos !== undefined ? { startTime: pos.ts } : {}, signal);
    ecsStats.logBytesRead(page.events.reduce((b, e) => b + Buffer.byteLength(e.message ?? ""), 0));
    for (const raw of page.events) {
      const ts = raw.timestamp ?? 0;
      if (skipping && pos !== undefined && ts === pos.ts && skipped < pos.k) {
        skipped++;
        continue;
      }
      skipping = false;
      if (n >= untilN) return;
      const k = prev !== undefined && prev.ts === ts ? prev.k + 1 : 1;
      const e: FeedEvent = { n, ts, k, message: raw.message ?? "" };
      prev = e;
      n++;
      yield lineOf(s, e, positions);
    }
    if (page.next === undefined || page.next === token) return;
    token = page.next;
  }
}
