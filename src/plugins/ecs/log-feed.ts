// One shared poller per followed job (issue 9): reads every task attempt's awslogs streams with GetLogEvents at a
// bounded rate, keeps a bounded buffer per stream, and wakes its subscribers. Reference-counted: it stops when the
// last subscriber leaves or once the job is final and every stream has been read to its end.
import { isFinalStatus } from "../../core/index.ts";
import type { JobStatus } from "../../core/index.ts";
import type { PluginLogger } from "../contract.ts";
import { awsMessage } from "./aws.ts";
import type { Endpoint } from "./aws.ts";
import { streamKey } from "./log-cursor.ts";
import { PAGE_LIMIT, streamName, taskIdOf } from "./logs.ts";
import { logsSdk } from "./sdk.ts";
import { abortableSleep } from "./sleep.ts";
import { isFinalAttempt } from "./state.ts";
import type { JobState } from "./state.ts";
import { ecsStats } from "./stats.ts";
import { endpointOfMeta } from "./views.ts";

/** One log event; `n` is its 0-based index in the stream, `k` its rank among the stream's events with its timestamp. */
export interface FeedEvent {
  n: number;
  ts: number;
  k: number;
  message: string;
}

export interface FeedStream {
  key: string;
  slot: number;
  attempt: number;
  container: string;
  group: string;
  region: string | undefined;
  name: string;
  /** Buffered events, consecutive; the first is events[0].n (older ones were evicted). */
  events: FeedEvent[];
  /** Events read so far (the index of the next one). */
  read: number;
  bytes: number;
  token: string | undefined;
  /** Read to its end after its attempt (or the job) was final: nothing more will come. */
  done: boolean;
  errors: number;
  idleRounds: number;
  nextReadAt: number;
}

/** Base interval between reading rounds; an idle stream is read less often (up to IDLE_MAX_MS). */
export const ROUND_MS = 1_000;
const IDLE_MAX_MS = 5_000;
/**
 * Buffered log text per job (64 bytes of overhead counted per event); beyond it the oldest events of the largest
 * stream are dropped and readers behind them catch up with their own reads. Mutable for tests.
 */
export const feedLimits = { maxBytes: 8 * 1024 * 1024 };
const EVENT_OVERHEAD = 64;
/** Consecutive read errors after which a stream of a final job is given up. */
const MAX_FINAL_ERRORS = 3;

/** One GetLogEvents page from `token`, or from `startTime` (head when undefined). Missing stream: no events. */
export async function readPage(
  ep: Endpoint,
  s: Pick<FeedStream, "group" | "region" | "name">,
  from: { token?: string; startTime?: number },
  signal: AbortSignal,
): Promise<{ events: { timestamp?: number; message?: string }[]; next: string | undefined }> {
  try {
    const res = await ep.call("logs-read", "GetLogEvents", signal, (abortSignal) =>
      ep.logs(s.region).send(
        new (logsSdk().GetLogEventsCommand)({
          logGroupName: s.group,
          logStreamName: s.name,
          startFromHead: true,
          limit: PAGE_LIMIT,
          ...(from.token !== undefined ? { nextToken: from.token } : from.startTime !== undefined ? { startTime: from.startTime } : {}),
        }),
        { abortSignal },
      ),
    );
    return { events: res.events ?? [], next: res.nextForwardToken };
  } catch (err) {
    if ((err as Error).name === "ResourceNotFoundException") return { events: [], next: from.token };
    throw err;
  }
}

type Waiter = () => void;

export class JobLogFeed {
  readonly streams: FeedStream[] = [];
  private readonly byKey = new Map<string, FeedStream>();
  /** Completed reading rounds, and whether one is under way. */
  rounds = 0;
  inRound = false;
  /** The job status seen by the last round. */
  status = "NEW";
  /** Set (the job's final status) once every stream is read to its end. */
  endStatus: string | undefined;
  ep: Endpoint | undefined;
  private refs = 0;
  private bytes = 0;
  private waiters: Waiter[] = [];
  private readonly stop = new AbortController();
  private running = false;

  constructor(
    readonly state: JobState,
    private readonly jobStatus: () => Promise<string>,
    private readonly log: PluginLogger,
    private readonly onIdle: () => void,
  ) {}

  acquire(): void {
    this.refs++;
    if (!this.running) {
      this.running = true;
      void this.loop();
    }
  }

  release(): void {
    if (--this.refs > 0) return;
    this.stop.abort();
    this.onIdle();
  }

  /** Resolves at the next change (a round completed or the feed ended), after `ms`, or when `signal` aborts. */
  changed(signal: AbortSignal, ms: number): Promise<"changed" | "timeout"> {
    return new Promise((resolve) => {
      const done = (r: "changed" | "timeout") => {
        clearTimeout(t);
        signal.removeEventListener("abort", onAbort);
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(r);
      };
      const w = () => done("changed");
      const onAbort = () => done("changed");
      const t = setTimeout(() => done("timeout"), Math.max(1, Math.min(ms, 2 ** 31 - 1)));
      this.waiters.push(w);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private notify(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  private async loop(): Promise<void> {
    const signal = this.stop.signal;
    let failures = 0;
    while (!signal.aborted && this.endStatus === undefined) {
      this.inRound = true;
      try {
        await this.round(signal);
        failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        this.log.warn({ jobId: this.state.jobId, err: awsMessage(err) }, "ecs logs: reading round failed");
      } finally {
        this.inRound = false;
      }
      this.rounds++;
      this.notify();
      if (this.endStatus !== undefined) break;
      await abortableSleep(ROUND_MS * Math.min(2 ** failures, 30), signal).catch(() => undefined);
    }
    this.notify();
    this.onIdle();
  }

  /** Reads every due stream once (all pages); ends the feed when the job is final and all streams are done. */
  private async round(signal: AbortSignal): Promise<void> {
    const status = await this.jobStatus();
    const jobFinal = isFinalStatus(status as JobStatus);
    const { meta, attempts } = await this.state.load();
    this.status = status;
    if (meta !== undefined) {
      this.ep ??= endpointOfMeta(meta);
      for (const a of attempts) {
        if (a.task_arn === null) continue;
        meta.containers.forEach((c, ci) => {
          if (c.log === undefined) return;
          const key = streamKey(a.slot, a.attempt, ci);
          if (this.byKey.has(key)) return;
          const s: FeedStream = {
            key,
            slot: a.slot,
            attempt: a.attempt,
            container: c.name,
            group: c.log.group,
            region: c.log.region,
            name: streamName(c.log, c.name, taskIdOf(a.task_arn!)),
            events: [],
            read: 0,
            bytes: 0,
            token: undefined,
            done: false,
            errors: 0,
            idleRounds: 0,
            nextReadAt: 0,
          };
          this.byKey.set(key, s);
          this.streams.push(s);
        });
      }
    }
    const finalKeys = new Set(attempts.filter(isFinalAttempt).map((a) => `${a.slot}.${a.attempt}.`));
    const now = Date.now();
    for (const s of this.streams) {
      if (s.done) continue;
      const last = jobFinal || finalKeys.has(`${s.slot}.${s.attempt}.`);
      if (!last && s.nextReadAt > now) continue;
      try {
        const added = await this.readToEnd(s, signal);
        s.errors = 0;
        s.idleRounds = added > 0 ? 0 : s.idleRounds + 1;
        s.nextReadAt = Date.now() + Math.min(IDLE_MAX_MS, ROUND_MS * 2 ** Math.max(0, s.idleRounds - 2)) - ROUND_MS / 2;
        if (last) s.done = true;
      } catch (err) {
        if (signal.aborted) throw err;
        s.errors++;
        this.log.warn({ jobId: this.state.jobId, stream: s.name, err: awsMessage(err) }, "ecs logs: GetLogEvents failed");
        if (jobFinal && s.errors >= MAX_FINAL_ERRORS) s.done = true;
      }
    }
    this.evict();
    if (jobFinal && this.streams.every((s) => s.done)) this.endStatus = status;
  }

  /** Reads pages until the token repeats; returns the number of new events. */
  private async readToEnd(s: FeedStream, signal: AbortSignal): Promise<number> {
    let added = 0;
    for (;;) {
      const page = await readPage(this.ep!, s, s.token === undefined ? {} : { token: s.token }, signal);
      for (const e of page.events) {
        const ts = e.timestamp ?? 0;
        const prev = s.events.at(-1); // eviction always keeps a stream's newest event
        const k = prev !== undefined && prev.ts === ts ? prev.k + 1 : 1;
        const ev: FeedEvent = { n: s.read++, ts, k, message: e.message ?? "" };
        s.events.push(ev);
        const size = Buffer.byteLength(ev.message) + EVENT_OVERHEAD;
        s.bytes += size;
        this.bytes += size;
        added++;
      }
      ecsStats.logBytesRead(page.events.reduce((n, e) => n + Buffer.byteLength(e.message ?? ""), 0));
      if (page.next === undefined || page.next === s.token) return added;
      s.token = page.next;
    }
  }

  private evict(): void {
    while (this.bytes > feedLimits.maxBytes) {
      const s = this.streams.reduce((a, b) => (b.bytes > a.bytes ? b : a));
      const drop = Math.max(1, Math.floor(s.events.length / 2));
      if (s.events.length <= 1) return;
      const gone = s.events.splice(0, drop);
      const freed = gone.reduce((n, e) => n + Buffer.byteLength(e.message) + EVENT_OVERHEAD, 0);
      s.bytes -= freed;
      this.bytes -= freed;
    }
  }
}

const feeds = new Map<string, JobLogFeed>();

/** The job's shared feed (created on first use); the caller must acquire() and later release() it. */
export function feedFor(state: JobState, jobStatus: () => Promise<string>, log: PluginLogger): JobLogFeed {
  const existing = feeds.get(state.jobId);
  if (existing !== undefined && existing.endStatus === undefined) return existing;
  const feed: JobLogFeed = new JobLogFeed(state, jobStatus, log, () => {
    if (feeds.get(state.jobId) === feed) feeds.delete(state.jobId);
  });
  feeds.set(state.jobId, feed);
  return feed;
}

/** Jobs with a live feed (for tests and statistics). */
export function activeFeeds(): number {
  return feeds.size;
}
