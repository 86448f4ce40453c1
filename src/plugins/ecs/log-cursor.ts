// The opaque cursor of GET /api/v1/job/{id}/logs: how far every log stream of the job (slot, attempt, container)
// has been read. Self-contained (any instance resumes from it): base64url of unsigned varints.
import { badRequest } from "../../core/index.ts";

/** A position in one stream: `n` events consumed, the last at `ts` (epoch ms), the `k`-th event with that timestamp. */
export interface StreamPos {
  n: number;
  ts: number;
  k: number;
}

/** Stream key: `slot.attempt.containerIndex`. */
export function streamKey(slot: number, attempt: number, containerIndex: number): string {
  return `${slot}.${attempt}.${containerIndex}`;
}

const VERSION = 1;

function putVarint(out: number[], v: number): void {
  let x = v;
  while (x >= 0x80) {
    out.push((x % 0x80) | 0x80);
    x = Math.floor(x / 0x80);
  }
  out.push(x);
}

/** Encodes the positions (streams with nothing consumed are left out). */
export function encodeCursor(positions: ReadonlyMap<string, StreamPos>): string {
  const entries = [...positions.entries()].filter(([, p]) => p.n > 0);
  const base = Math.min(...entries.map(([, p]) => p.ts), Number.MAX_SAFE_INTEGER);
  const out: number[] = [];
  putVarint(out, VERSION);
  putVarint(out, entries.length === 0 ? 0 : base);
  putVarint(out, entries.length);
  for (const [key, p] of entries) {
    for (const part of key.split(".")) putVarint(out, Number(part));
    putVarint(out, p.n);
    putVarint(out, p.ts - base);
    putVarint(out, p.k);
  }
  return Buffer.from(out).toString("base64url");
}

const invalid = () => badRequest("cursor: not a cursor of this job's logs (use the cursor of a line as given)");

/** Decodes a cursor; throws BAD_REQUEST naming the parameter when it is malformed. */
export function decodeCursor(text: string): Map<string, StreamPos> {
  if (!/^[A-Za-z0-9_-]{1,65536}$/.test(text)) throw invalid();
  const buf = Buffer.from(text, "base64url");
  let i = 0;
  const next = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++];
      if (b === undefined || mul > 2 ** 49) throw invalid();
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
  };
  if (next() !== VERSION) throw invalid();
  const base = next();
  const count = next();
  const positions = new Map<string, StreamPos>();
  for (let e = 0; e < count; e++) {
    const key = streamKey(next(), next(), next());
    const n = next();
    const ts = base + next();
    const k = next();
    if (n === 0 || k === 0) throw invalid();
    positions.set(key, { n, ts, k });
  }
  if (i !== buf.length) throw invalid();
  return positions;
}
