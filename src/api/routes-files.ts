// Job files (spec 4.5, D6): stdout/stderr/result streamed from the store with ?offset= and Range; plus the
// ECS task views (issue 4): GET P/job/{id}/tasks and GET P/job/{id}/tasks/{slot}/logs.
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply } from "fastify";
import { HeimdallError } from "../core/index.ts";
import type { Job, JobFile } from "../core/index.ts";
import type { TaskLogsQuery } from "../plugins/index.ts";
import type { ApiDeps } from "./deps.ts";
import { API_PREFIX, param, queryString } from "./http.ts";
import { loadJob } from "./route-helpers.ts";
import { FILE_ROUTE, TASK_ROUTES } from "./route-schemas.ts";

const P = API_PREFIX;
const FILES = new Set(["stdout", "stderr", "result"]);
const TEXT = "text/plain; charset=utf-8";
/** Bytes of a stored file read ahead of the socket while streaming it. */
const READ_AHEAD = 1024 * 1024;

/** A byte window [start, end) of a file of `size` bytes; `partial` = answer 206 with Content-Range. */
export interface Window {
  start: number;
  end: number;
  partial: boolean;
}

/** Parses a single `Range: bytes=…` header. undefined = serve the whole file (absent, multi-range or invalid). */
export function rangeWindow(header: string | undefined, size: number): Window | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined;
  const a = m[1] ?? "";
  const b = m[2] ?? "";
  if (a === "" && b === "") return undefined;
  if (a === "") {
    const n = Number(b);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size, partial: true };
  }
  const start = Number(a);
  if (b !== "" && Number(b) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  const end = b === "" ? size : Math.min(Number(b) + 1, size);
  return { start, end, partial: true };
}

/** `?offset=N` (negative = from the end, clamped). */
export function offsetWindow(raw: string | undefined, size: number): Window {
  if (raw === undefined || raw === "") return { start: 0, end: size, partial: false };
  if (!/^[+-]?\d+$/.test(raw.trim())) throw new HeimdallError("BAD_REQUEST", "offset: must be an integer");
  const n = Number(raw.trim());
  const start = n >= 0 ? Math.min(n, size) : Math.max(0, size + n);
  return { start, end: size, partial: false };
}

function sendWindow(reply: FastifyReply, job: Job, size: number, w: Window, type: string, body: () => Readable | Buffer): FastifyReply {
  reply.header("Accept-Ranges", "bytes");
  reply.header("X-Heimdall-Job-Status", job.status);
  reply.header("X-Heimdall-File-Size", String(size));
  reply.type(type);
  if (w.partial) {
    reply.code(206);
    reply.header("Content-Range", `bytes ${w.start}-${w.end - 1}/${size}`);
  }
  reply.header("Content-Length", String(w.end - w.start));
  if (w.end <= w.start) return reply.send(Buffer.alloc(0));
  return reply.send(body());
}

function unsatisfiable(reply: FastifyReply, size: number): FastifyReply {
  return reply
    .code(416)
    .header("Content-Range", `bytes */${size}`)
    .type("application/json; charset=utf-8")
    .send({ error: "range not satisfiable" });
}

function pickWindow(reply: FastifyReply, range: string | undefined, offset: string | undefined, size: number): Window | undefined {
  const r = rangeWindow(range, size);
  if (r === "unsatisfiable") {
    unsatisfiable(reply, size);
    return undefined;
  }
  return r ?? offsetWindow(offset, size);
}

export function registerFileRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(`${P}/job/:id/:file`, { schema: FILE_ROUTE, config: { longRunning: true } }, async (req, reply) => {
    const file = param(req, "file");
    if (!FILES.has(file)) throw new HeimdallError("NOT_FOUND", `unknown file: ${file}`);
    const id = param(req, "id");
    const job = await loadJob(deps, id);
    const range = req.headers.range;
    const offset = queryString(req, "offset");
    if (file === "result") {
      const json = await deps.store.getResult(id);
      if (json === undefined) throw new HeimdallError("NOT_FOUND", "file not found: result");
      const buf = Buffer.from(json, "utf8");
      const w = pickWindow(reply, range, offset, buf.length);
      if (!w) return reply;
      return sendWindow(reply, job, buf.length, w, "application/json; charset=utf-8", () => buf.subarray(w.start, w.end));
    }
    const f = file as JobFile;
    const size = await deps.store.fileSize(id, f);
    const w = pickWindow(reply, range, offset, size);
    if (!w) return reply;
    // Readable.from defaults to a 1-byte high-water mark: read ahead up to 1 MiB so the next chunks are ready
    // when the socket drains, instead of querying only once it is empty.
    return sendWindow(reply, job, size, w, TEXT, () =>
      Readable.from(deps.store.readFile(id, f, w.start, w.end), { objectMode: false, highWaterMark: READ_AHEAD }),
    );
  });

  app.get(`${P}/job/:id/tasks`, { schema: TASK_ROUTES.timeline }, async (req) => {
    const timeline = await deps.engine.jobTasks(await loadJob(deps, param(req, "id")));
    if (timeline === undefined) throw new HeimdallError("NOT_FOUND", "job has no task timeline");
    return timeline;
  });

  app.get(`${P}/job/:id/tasks/:slot/logs`, { schema: TASK_ROUTES.taskLogs, config: { longRunning: true } }, async (req, reply) => {
    const job = await loadJob(deps, param(req, "id"));
    const slotRaw = param(req, "slot");
    if (!/^\d+$/.test(slotRaw)) throw new HeimdallError("BAD_REQUEST", "slot: must be a non-negative integer");
    const attemptRaw = queryString(req, "attempt");
    let attempt: number | undefined;
    if (attemptRaw !== undefined && attemptRaw !== "") {
      if (!/^\d+$/.test(attemptRaw)) throw new HeimdallError("BAD_REQUEST", "attempt: must be a non-negative integer");
      attempt = Number(attemptRaw);
    }
    const follow = queryString(req, "follow")?.toLowerCase() === "true";
    const ac = new AbortController();
    reply.raw.once("close", () => ac.abort());
    const id = job.id;
    const jobStatus = async () => (await deps.store.getJob(id))?.status ?? "KILLED"; // deleted meanwhile: ended
    const q: TaskLogsQuery = { slot: Number(slotRaw), follow, jobStatus };
    if (attempt !== undefined) q.attempt = attempt;
    const logs = await deps.engine.taskLogs(job, q, ac.signal);
    if (logs === undefined) throw new HeimdallError("NOT_FOUND", "job has no task timeline");
    const iter = logs[Symbol.asyncIterator]();
    // Pull the first piece before answering so that lookup errors (unknown slot/attempt) become 4xx bodies.
    const firstP = iter.next();
    firstP.catch(() => undefined);
    const first = await Promise.race([firstP, new Promise<"pending">((r) => setTimeout(() => r("pending"), 300).unref())]);
    if (first !== "pending" && first.done) return reply.type(TEXT).send("");
    async function* rest(): AsyncGenerator<string> {
      const head = first === "pending" ? await firstP : first;
      if (head.done) return;
      yield head.value;
      for (;;) {
        const n = await iter.next();
        if (n.done) return;
        yield n.value;
      }
    }
    return reply.type(TEXT).header("Cache-Control", "no-cache").send(Readable.from(rest()));
  });
}
