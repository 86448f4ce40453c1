// Job output streams (spec 9.11): stdout/stderr Writables that store their bytes in the database as
// append-only chunks, flushed at least once per second and whenever 64 KiB are buffered, capped per file.
// While the database is unreachable a flush is retried (retryDb) and the bytes stay buffered, up to
// maxPendingBytes; past that the writer waits (backpressure). Appends carry the expected file offset, so a retry
// of an append that did commit stores nothing twice. Bytes are dropped only when the retries give up.
import { Writable } from "node:stream";
import type pino from "pino";
import type { JobFile } from "../core/index.ts";
import type { EngineMetrics } from "./contract.ts";
import type { Store } from "../store/index.ts";
import { defaultDbRetryMs, retryDb } from "./db-retry.ts";
import { jobError } from "./lifecycle/index.ts";

export const CHUNK_BYTES = 64 * 1024;
export const FLUSH_INTERVAL_MS = 1000;
/** Retries of a flush failing with an error that has no retry class (not a database outage). */
const FLUSH_RETRIES = 3;
/** Output kept in memory per stream while flushes fail; past it the writer waits. */
export const MAX_PENDING_BYTES = 16 * 1024 * 1024;

export interface OutputOptions {
  store: Store;
  jobId: string;
  file: JobFile;
  maxBytes: number;
  log: pino.Logger;
  metrics?: EngineMetrics | undefined;
  /** Bytes already stored (a resumed job continues after them). */
  initialSize?: number;
  /** Last stored byte, when initialSize > 0 (decides whether the truncation line needs a line break). */
  lastByte?: number;
  /** First retry delay (doubling, capped at 2 s). */
  retryDelayMs?: number;
  /** How long a flush is retried while the database is unreachable (default 5 minutes). */
  retryWindowMs?: number;
  /** Checked between retries: true gives the flush up at once (the job is no longer ours). */
  stop?: () => boolean;
  /** Called for each failed flush try (the engine notes database trouble). */
  onFailure?: (err: unknown) => void;
  /** Buffered plus in-flight bytes above which the writer waits (default 16 MiB). */
  maxPendingBytes?: number;
}

export function truncationLine(maxBytes: number): string {
  return `[heimdall: output truncated at ${maxBytes} bytes]\n`;
}

export class JobOutputStream extends Writable {
  private readonly o: OutputOptions;
  private buf: Buffer[] = [];
  private buffered = 0;
  /** Bytes of the file's content kept so far (stored + buffered), truncation line excluded. */
  private kept: number;
  private lastByte: number | undefined;
  private truncated: boolean;
  private chain: Promise<void> = Promise.resolve();
  private inFlight = 0;
  /** Bytes handed to flushes that have not finished yet. */
  private flushing = 0;
  /** The current flush failed and is being retried; `failed` resolves when that happens. */
  private failing = false;
  private failed: { promise: Promise<void>; resolve: () => void } | undefined;
  /** File size stored so far: the offset of the next append (-1: unknown after a dropped flush). */
  private stored: number;
  private timer: NodeJS.Timeout | undefined;
  private ended_ = false;
  /** Bytes dropped because a flush failed even after retries. */
  droppedBytes = 0;
  /** The error of the last dropped flush. */
  lastError: string | undefined;
  /** Bytes already stored when the stream was opened (a resumed job's earlier output). */
  readonly storedAtOpen: number;

  constructor(o: OutputOptions) {
    super({ highWaterMark: CHUNK_BYTES, decodeStrings: true });
    this.o = o;
    this.kept = o.initialSize ?? 0;
    this.stored = o.initialSize ?? 0;
    this.storedAtOpen = this.kept;
    this.lastByte = o.lastByte;
    // A file already longer than the cap already carries the truncation line.
    this.truncated = this.kept > o.maxBytes;
    // A plugin writing after end() must not crash the server with an unhandled 'error' event.
    this.on("error", (err) => o.log.debug({ err, file: o.file }, "job output stream error"));
  }

  /** Opens a stream; for a resumed job it continues after the output already stored. */
  static async open(o: OutputOptions, resumed: boolean): Promise<JobOutputStream> {
    if (!resumed) return new JobOutputStream(o);
    const size = await o.store.fileSize(o.jobId, o.file);
    let lastByte: number | undefined;
    if (size > 0 && size <= o.maxBytes) {
      for await (const b of o.store.readFile(o.jobId, o.file, size - 1, size)) if (b.length > 0) lastByte = b[b.length - 1];
    }
    return new JobOutputStream({ ...o, initialSize: size, ...(lastByte === undefined ? {} : { lastByte }) });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.ended_) return cb();
    this.accept(chunk);
    if (this.buffered >= CHUNK_BYTES) void this.flush();
    else this.arm();
    if (this.inFlight === 0) return cb();
    // Backpressure: while a flush is in progress the writer waits for it — unless the flush is failing (database
    // unreachable): then output is buffered up to maxPendingBytes, and only past that the writer waits.
    const done = () => cb();
    if (this.buffered + this.flushing >= (this.o.maxPendingBytes ?? MAX_PENDING_BYTES)) void this.chain.then(done, done);
    else if (this.failing) cb();
    else void Promise.race([this.chain, this.failingNow()]).then(done, done);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.flush().then(
      () => cb(),
      () => cb(),
    );
  }

  /** Stores what is buffered and stops accepting output (later writes are ignored). */
  async close(): Promise<void> {
    this.ended_ = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private failingNow(): Promise<void> {
    if (!this.failed) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => (resolve = r));
      this.failed = { promise, resolve };
    }
    return this.failed.promise;
  }

  private setFailing(on: boolean): void {
    this.failing = on;
    if (on) {
      this.failed?.resolve();
      this.failed = undefined;
    }
  }

  private accept(chunk: Buffer): void {
    if (this.truncated || chunk.length === 0) return;
    const room = this.o.maxBytes - this.kept;
    const keep = chunk.length <= room ? chunk : chunk.subarray(0, Math.max(room, 0));
    if (keep.length > 0) {
      this.push_(keep);
      this.kept += keep.length;
      this.lastByte = keep[keep.length - 1];
    }
    if (keep.length < chunk.length) {
      this.truncated = true;
      const lb = this.kept > 0 && this.lastByte !== 0x0a ? "\n" : "";
      this.push_(Buffer.from(lb + truncationLine(this.o.maxBytes), "utf8"));
    }
  }

  private push_(b: Buffer): void {
    // Copy: the caller may reuse its buffer after the write callback.
    this.buf.push(Buffer.from(b));
    this.buffered += b.length;
  }

  private arm(): void {
    if (this.timer || this.buffered === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(() => undefined);
    }, FLUSH_INTERVAL_MS);
  }

  /** Stores the buffered bytes; flushes run one after another. */
  flush(): Promise<void> {
    this.inFlight++;
    const run = this.chain.then(() => this.store_());
    this.chain = run.finally(() => {
      this.inFlight--;
      if (!this.ended_) this.arm();
    });
    return this.chain;
  }

  private async store_(): Promise<void> {
    if (this.buffered === 0) return;
    const data = Buffer.concat(this.buf, this.buffered);
    this.buf = [];
    this.buffered = 0;
    this.flushing += data.length;
    const chunks: Buffer[] = [];
    for (let i = 0; i < data.length; i += CHUNK_BYTES) chunks.push(data.subarray(i, i + CHUNK_BYTES));
    const append = async () => {
      if (this.stored < 0) this.stored = await this.o.store.fileSize(this.o.jobId, this.o.file);
      await this.o.store.appendFile(this.o.jobId, this.o.file, chunks, this.stored);
    };
    try {
      await retryDb(append, {
        windowMs: this.o.retryWindowMs ?? defaultDbRetryMs(0),
        ...(this.o.retryDelayMs === undefined ? {} : { baseMs: this.o.retryDelayMs }),
        otherRetries: FLUSH_RETRIES,
        ...(this.o.stop ? { stop: this.o.stop } : {}),
        onFailure: (err, _cls, attempt) => {
          this.setFailing(true);
          this.o.onFailure?.(err);
          if (attempt === 1) this.o.log.warn({ err, job_id: this.o.jobId, file: this.o.file }, "job output flush failed; retrying");
        },
      });
      this.stored += data.length;
    } catch (err) {
      this.droppedBytes += data.length;
      this.lastError = jobError(err);
      this.stored = -1; // the dropped append may have committed after all
      this.o.metrics?.fileFlushFailure();
      this.o.log.error({ err, job_id: this.o.jobId, file: this.o.file, bytes: data.length }, "job output flush failed; bytes dropped");
    } finally {
      this.flushing -= data.length;
      this.setFailing(false);
    }
  }
}
