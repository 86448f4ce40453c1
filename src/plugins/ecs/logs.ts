// awslogs retrieval: full GetLogEvents pages (10,000 events), stop on a repeated token, streamed page by page.
import { once } from "node:events";
import type { Writable } from "node:stream";
import type { Endpoint } from "./aws.ts";
import { logsSdk } from "./sdk.ts";
import { abortableSleep } from "./sleep.ts";
import type { ContainerInfo } from "./template.ts";

export const PAGE_LIMIT = 10_000;
const FOLLOW_INTERVAL_MS = 1_000;

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `[YYYY-MM-DD HH:MM:SS] message` in UTC, with a line break. */
export function formatEvent(timestampMs: number, message: string): string {
  const d = new Date(timestampMs);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `[${date} ${time}] ${message}\n`;
}

export function streamHeader(stream: string): string {
  return `=== ${stream} ===\n\n`;
}

export function taskIdOf(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}

export function streamName(log: NonNullable<ContainerInfo["log"]>, container: string, taskId: string): string {
  return `${log.prefix}/${container}/${taskId}`;
}

export interface LogOptions {
  /** Keep reading after the end while this returns true (live follow). */
  follow?: () => Promise<boolean>;
}

/** Text chunks (a header, then one chunk per page) for every awslogs container of the task. */
export async function* taskLogChunks(
  ep: Endpoint,
  containers: ContainerInfo[],
  taskArn: string,
  signal: AbortSignal,
  opts: LogOptions = {},
): AsyncGenerator<string> {
  const taskId = taskIdOf(taskArn);
  for (const c of containers) {
    if (c.log === undefined) continue;
    const stream = streamName(c.log, c.name, taskId);
    yield* streamChunks(ep, c.log.group, c.log.region, stream, signal, opts);
  }
}

async function* streamChunks(
  ep: Endpoint,
  group: string,
  region: string | undefined,
  stream: string,
  signal: AbortSignal,
  opts: LogOptions,
): AsyncGenerator<string> {
  let token: string | undefined;
  let headerDone = false;
  let finalPass = false;
  for (;;) {
    let res;
    try {
      const nextToken = token;
      res = await ep.call("logs-read", "GetLogEvents", signal, (abortSignal) =>
        ep.logs(region).send(
          new (logsSdk().GetLogEventsCommand)({
            logGroupName: group,
            logStreamName: stream,
            startFromHead: true,
            limit: PAGE_LIMIT,
            nextToken,
          }),
          { abortSignal },
        ),
      );
    } catch (err) {
      if ((err as Error).name === "ResourceNotFoundException") {
        // The stream appears when the container starts; without follow there is nothing to read.
        if (opts.follow !== undefined && (await opts.follow())) {
          await abortableSleep(FOLLOW_INTERVAL_MS, signal);
          continue;
        }
        return;
      }
      throw err;
    }
    if (!headerDone) {
      headerDone = true;
      yield streamHeader(stream);
    }
    const events = res.events ?? [];
    if (events.length > 0) {
      let text = "";
      for (const e of events) text += formatEvent(e.timestamp ?? 0, e.message ?? "");
      yield text;
    }
    const next = res.nextForwardToken;
    if (next === undefined || next === token) {
      if (opts.follow !== undefined && !finalPass) {
        if (await opts.follow()) await abortableSleep(FOLLOW_INTERVAL_MS, signal);
        else finalPass = true; // the task ended: one more read for its last flushed lines
        continue;
      }
      return;
    }
    token = next;
  }
}

/** Writes with backpressure. */
export async function writeText(out: Writable, text: string): Promise<void> {
  if (text === "") return;
  if (!out.write(text)) await once(out, "drain");
}

/** Where copied text goes: a stream, or a function that writes (with backpressure) and resolves when accepted. */
export type TextSink = Writable | ((text: string) => Promise<void>);

export function truncationNotice(maxBytes: number): string {
  return `[heimdall: ecs logs truncated at ${maxBytes} bytes]\n`;
}

/**
 * Copies chunks to `out` up to `maxBytes` (UTF-8), cutting at a line boundary and adding a notice once. The cut
 * depends only on the concatenated text, not on how it is split into chunks (every chunk ends with a line break).
 */
export async function copyCapped(chunks: AsyncIterable<string>, out: TextSink, maxBytes: number): Promise<number> {
  const write = typeof out === "function" ? out : (text: string) => writeText(out, text);
  let written = 0;
  for await (const chunk of chunks) {
    const size = Buffer.byteLength(chunk);
    if (written + size <= maxBytes) {
      await write(chunk);
      written += size;
      continue;
    }
    const room = maxBytes - written;
    const buf = Buffer.from(chunk).subarray(0, Math.max(0, room));
    const cut = buf.lastIndexOf(0x0a);
    const keep = cut >= 0 ? buf.subarray(0, cut + 1).toString() : "";
    if (keep !== "") await write(keep);
    written += Buffer.byteLength(keep);
    await write(truncationNotice(maxBytes));
    return written;
  }
  return written;
}

/** The first `limit` bytes of `chunks` (stops reading there): a resumed copy replaying what a failed one wrote. */
export async function* firstBytes(chunks: AsyncIterable<string>, limit: number): AsyncGenerator<string> {
  if (limit <= 0) return;
  let n = 0;
  for await (const chunk of chunks) {
    const buf = Buffer.from(chunk);
    if (n + buf.length < limit) {
      n += buf.length;
      yield chunk;
      continue;
    }
    // Reaches the limit: nothing after it is read.
    yield buf.subarray(0, limit - n).toString();
    return;
  }
}
