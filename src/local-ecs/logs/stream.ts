// One CloudWatch log stream kept in an append-only file. Memory holds only a block index (typed arrays):
// a block is up to 256 events / 256 KiB, so a 1 GiB stream needs ~4k-40k blocks (a few hundred KB of index).
import { closeSync, openSync, readSync, writeSync } from "node:fs";

export interface LogEvent {
  timestamp: number;
  ingestionTime: number;
  message: string;
}

const HEADER = 20; // float64 timestamp, float64 ingestionTime, uint32 byte length
const BLOCK_EVENTS = 256;
const BLOCK_BYTES = 256 * 1024;

class GrowableF64 {
  a = new Float64Array(64);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

/** Keeps at most `max` stream files open (least recently used are closed; they reopen on demand). */
class FdPool {
  private open = new Map<LogStream, true>();
  max = 256;
  touch(s: LogStream): void {
    this.open.delete(s);
    this.open.set(s, true);
    if (this.open.size > this.max) {
      const oldest = this.open.keys().next().value as LogStream;
      this.open.delete(oldest);
      oldest.closeFd();
    }
  }
  forget(s: LogStream): void {
    this.open.delete(s);
  }
}

export const fdPool = new FdPool();

export class LogStream {
  readonly name: string;
  readonly creationTime: number;
  readonly path: string;
  count = 0;
  storedBytes = 0;
  firstEventTimestamp: number | undefined;
  lastEventTimestamp: number | undefined;
  lastIngestionTime: number | undefined;
  private fd: number | undefined;
  private fileSize = 0;
  private blockStart = new GrowableF64();
  private blockOffset = new GrowableF64();
  private blockMin = new GrowableF64();
  private blockMax = new GrowableF64();
  private curCount = 0;
  private curBytes = 0;
  private cache: { block: number; events: LogEvent[] } | undefined;

  constructor(name: string, path: string, creationTime: number) {
    this.name = name;
    this.path = path;
    this.creationTime = creationTime;
  }

  private file(): number {
    if (this.fd === undefined) this.fd = openSync(this.path, "a+");
    fdPool.touch(this);
    return this.fd;
  }

  closeFd(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Rebuild the block index and counters from the stream's file (after a restart). */
  reload(): void {
    let fd: number;
    try {
      fd = openSync(this.path, "r");
    } catch {
      return;
    }
    try {
      const head = Buffer.allocUnsafe(HEADER);
      let pos = 0;
      for (;;) {
        if (readSync(fd, head, 0, HEADER, pos) < HEADER) break;
        const ts = head.readDoubleLE(0);
        const ingestion = head.readDoubleLE(8);
        const len = head.readUInt32LE(16);
        this.indexEvent(ts, HEADER + len, len, pos);
        this.lastIngestionTime = ingestion;
        pos += HEADER + len;
      }
      this.fileSize = pos;
    } finally {
      closeSync(fd);
    }
  }

  private indexEvent(timestamp: number, size: number, msgLen: number, offset: number): void {
    if (this.blockStart.n === 0 || this.curCount >= BLOCK_EVENTS || this.curBytes >= BLOCK_BYTES) {
      this.blockStart.push(this.count);
      this.blockOffset.push(offset);
      this.blockMin.push(timestamp);
      this.blockMax.push(timestamp);
      this.curCount = 0;
      this.curBytes = 0;
    } else {
      const b = this.blockStart.n - 1;
      if (timestamp < this.blockMin.a[b]!) this.blockMin.a[b] = timestamp;
      if (timestamp > this.blockMax.a[b]!) this.blockMax.a[b] = timestamp;
    }
    this.curCount++;
    this.curBytes += size;
    this.count++;
    this.storedBytes += msgLen;
    if (this.firstEventTimestamp === undefined || timestamp < this.firstEventTimestamp) this.firstEventTimestamp = timestamp;
    if (this.lastEventTimestamp === undefined || timestamp > this.lastEventTimestamp) this.lastEventTimestamp = timestamp;
  }

  append(events: Array<{ timestamp: number; message: string }>, ingestionTime: number): void {
    if (events.length === 0) return;
    const lastBlockBefore = this.blockStart.n - 1;
    const bufs: Buffer[] = [];
    let total = 0;
    for (const e of events) {
      const msg = Buffer.from(e.message, "utf8");
      const h = Buffer.allocUnsafe(HEADER);
      h.writeDoubleLE(e.timestamp, 0);
      h.writeDoubleLE(ingestionTime, 8);
      h.writeUInt32LE(msg.length, 16);
      bufs.push(h, msg);
      const size = HEADER + msg.length;
      this.indexEvent(e.timestamp, size, msg.length, this.fileSize + total);
      total += size;
    }
    const buf = Buffer.concat(bufs, total);
    const fd = this.file();
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    this.fileSize += total;
    this.lastIngestionTime = ingestionTime;
    if (this.cache && this.cache.block >= lastBlockBefore) this.cache = undefined;
  }

  get blocks(): number {
    return this.blockStart.n;
  }

  /** Index of the block holding event `i` (0 <= i < count). */
  blockOf(i: number): number {
    let lo = 0;
    let hi = this.blockStart.n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.blockStart.a[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  blockFirstIndex(b: number): number {
    return b < this.blockStart.n ? this.blockStart.a[b]! : this.count;
  }

  blockMaxTs(b: number): number {
    return this.blockMax.a[b]!;
  }

  blockMinTs(b: number): number {
    return this.blockMin.a[b]!;
  }

  /** All events of block `b`, read from disk (one read; the last block read is cached). */
  readBlock(b: number): LogEvent[] {
    if (this.cache?.block === b) return this.cache.events;
    const start = this.blockOffset.a[b]!;
    const end = b + 1 < this.blockStart.n ? this.blockOffset.a[b + 1]! : this.fileSize;
    const buf = Buffer.allocUnsafe(end - start);
    const fd = this.file();
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    const events: LogEvent[] = [];
    let p = 0;
    while (p + HEADER <= got) {
      const len = buf.readUInt32LE(p + 16);
      events.push({
        timestamp: buf.readDoubleLE(p),
        ingestionTime: buf.readDoubleLE(p + 8),
        message: buf.toString("utf8", p + HEADER, p + HEADER + len),
      });
      p += HEADER + len;
    }
    this.cache = { block: b, events };
    return events;
  }

  close(): void {
    this.closeFd();
    fdPool.forget(this);
    this.cache = undefined;
  }
}
