// GET P/job/{id}/logs (issue 9): every task attempt's log lines of an ECS job as newline-delimited JSON, from the
// start or a cursor, following until the job is final. The plugin's jobLogs shares one reader per job between
// all followers; this route validates, serializes, and ends streams on client disconnect or server shutdown.
import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { HeimdallError, isFinalStatus } from "../core/index.ts";
import type { ApiDeps } from "./deps.ts";
import { API_PREFIX, param, queryString } from "./http.ts";
import { loadJob } from "./route-helpers.ts";
import { TASK_ROUTES } from "./route-schemas.ts";

const P = API_PREFIX;
export const NDJSON = "application/x-ndjson; charset=utf-8";
/** While following, a `{"heartbeat":true}` line after this long without output. */
export const LOG_HEARTBEAT_MS = 15_000;
/** How long closing the server waits for log streams to end. */
const SHUTDOWN_WAIT_MS = 5_000;

function flag(raw: string | undefined, name: string): boolean {
  if (raw === undefined || raw === "") return false;
  const v = raw.toLowerCase();
  if (v === "true") return true;
  if (v === "false") return false;
  throw new HeimdallError("BAD_REQUEST", `${name}: must be true or false`);
}

export function registerLogRoutes(app: FastifyInstance, deps: ApiDeps): void {
  // Streams under way, ended (without an end line: clients resume from their last cursor) when the server closes.
  // preClose waits (bounded) until their responses are done, so that closing the server finds their keep-alive
  // connections idle and closes them instead of waiting for the keep-alive timeout.
  const live = new Map<AbortController, Promise<void>>();
  app.addHook("preClose", async () => {
    for (const c of live.keys()) c.abort();
    const all = Promise.all(live.values()).then(() => new Promise<void>((r) => setImmediate(r)));
    await Promise.race([all, new Promise<void>((r) => setTimeout(r, SHUTDOWN_WAIT_MS).unref())]);
  });

  app.get(`${P}/job/:id/logs`, { schema: TASK_ROUTES.jobLogs, config: { longRunning: true } }, async (req, reply) => {
    const id = param(req, "id");
    const job = await loadJob(deps, id);
    const follow = flag(queryString(req, "follow"), "follow");
    const slotRaw = queryString(req, "slot");
    let slot: number | undefined;
    if (slotRaw !== undefined && slotRaw !== "") {
      if (!/^\d{1,9}$/.test(slotRaw)) throw new HeimdallError("BAD_REQUEST", "slot: must be a non-negative integer");
      slot = Number(slotRaw);
    }
    const cursor = queryString(req, "cursor");
    let known = job.status;
    const jobStatus = async (): Promise<string> => {
      const now = await deps.store.getJob(id);
      // A job deleted meanwhile (retention) ends the stream with its last status, or KILLED when that was not final.
      if (now === undefined) return isFinalStatus(known) ? known : "KILLED";
      known = now.status;
      return known;
    };
    const ac = new AbortController();
    const logs = await deps.engine.jobLogs(
      job,
      {
        follow,
        ...(cursor === undefined || cursor === "" ? {} : { cursor }),
        ...(slot === undefined ? {} : { slot }),
        heartbeatMs: LOG_HEARTBEAT_MS,
        jobStatus,
      },
      ac.signal,
    );
    if (logs === undefined) {
      throw new HeimdallError(
        "BAD_REQUEST",
        `job ${id} is not an ECS job: it has no task logs; read GET ${P}/job/${id}/stdout and ${P}/job/${id}/stderr instead`,
      );
    }
    const items = logs;
    live.set(
      ac,
      new Promise<void>((resolve) => {
        reply.raw.once("close", () => {
          ac.abort();
          live.delete(ac);
          resolve();
        });
      }),
    );
    async function* ndjson(): AsyncGenerator<string> {
      for await (const item of items) yield `${JSON.stringify(item)}\n`;
    }
    return reply.type(NDJSON).header("Cache-Control", "no-cache").header("X-Accel-Buffering", "no").send(Readable.from(ndjson()));
  });
}
