// Waiting for a job (`job submit --wait`, `job rerun --wait`): status changes and the ECS task summary on
// stderr while it runs, the stderr tail of a job that did not succeed at the end.
import { jobApi } from "./api-calls.ts";
import type { ApiClient } from "./client.ts";
import { CliError } from "./client.ts";
import type { Palette } from "./colour.ts";
import { formatTime, jobDuration } from "./format.ts";
import { fileTail, FINAL } from "./job-logs.ts";

type Obj = Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How many bytes / lines of a failed job's stderr are shown. */
const TAIL_BYTES = 4096;
const TAIL_LINES = 20;

/** `ECS tasks: 3/5 succeeded, 1 running, 1 retrying` from the job's `progress` object ("" when absent). */
export function progressText(progress: unknown): string {
  if (progress === null || typeof progress !== "object") return "";
  const p = progress as Record<string, unknown>;
  const n = (k: string) => (typeof p[k] === "number" ? (p[k] as number) : 0);
  const parts = [`${n("succeeded")}/${n("tasks")} succeeded`];
  for (const k of ["running", "retrying", "pending", "failed"]) if (n(k) > 0) parts.push(`${n(k)} ${k}`);
  return `ECS tasks: ${parts.join(", ")}`;
}

export interface WatchOptions {
  /** Give up after this many seconds (0 = no limit). */
  timeoutSec: number;
  /** Palette for stderr. */
  colour: Palette;
  err?: (s: string) => void;
}

/**
 * Polls the job until it is final, writing `<UTC time> STATUS` on every change and the ECS progress summary when
 * it changes; returns the final job object.
 */
export async function watchJob(api: ApiClient, id: string, first: Obj | undefined, o: WatchOptions): Promise<Obj> {
  const err = o.err ?? ((s: string) => void process.stderr.write(s));
  const c = o.colour;
  const deadline = o.timeoutSec > 0 ? Date.now() + o.timeoutSec * 1000 : Number.POSITIVE_INFINITY;
  const startedWatching = Date.now();
  let lastStatus = "";
  let lastProgress = "";
  let job: Obj = first ?? (await jobApi.get(api, id));
  for (;;) {
    const status = String(job["status"]);
    const progress = progressText(job["progress"]);
    const stamp = c.dim(formatTime(Date.now() / 1000));
    const final = FINAL.has(status);
    const showProgress = () => {
      if (progress === "" || progress === lastProgress) return;
      err(`${stamp} ${progress}\n`);
      lastProgress = progress;
    };
    // The last summary comes before the final status line, which ends the output.
    if (final) showProgress();
    if (status !== lastStatus) {
      const took = final ? jobDuration(job) : "";
      // A final error is printed once, by the caller's last line.
      err(`${stamp} ${c.status(status)}${took !== "" ? ` after ${took}` : ""}\n`);
      lastStatus = status;
    }
    showProgress();
    if (FINAL.has(status)) return job;
    if (Date.now() > deadline) throw new CliError(`job ${id} is still ${status} after ${o.timeoutSec}s`);
    // Quick polls first (short jobs end within a second or two), then once a second.
    await sleep(Date.now() - startedWatching < 5000 ? 250 : 1000);
    job = await jobApi.get(api, id);
  }
}

/** Writes the last lines of a job's stderr (a job that did not succeed) to stderr. */
export async function printStderrTail(
  api: ApiClient,
  id: string,
  c: Palette,
  err: (s: string) => void = (s) => void process.stderr.write(s),
): Promise<void> {
  const text = await fileTail(api, id, "stderr", TAIL_BYTES);
  if (text.trim() === "") return;
  let lines = text.replace(/\n$/, "").split("\n");
  const partial = Buffer.byteLength(text) >= TAIL_BYTES; // the file is longer: the first line may be cut
  if (partial) lines = lines.slice(1);
  const cut = partial || lines.length > TAIL_LINES;
  lines = lines.slice(-TAIL_LINES);
  err(c.dim(`--- stderr of job ${id}${cut ? ` (last ${lines.length} lines)` : ""} ---\n`));
  err(`${lines.join("\n")}\n`);
  err(c.dim("---\n"));
}
