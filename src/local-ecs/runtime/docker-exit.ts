// Waiting for a container's exit: the engine's `/wait` long poll, with an inspect every EXIT_POLL_MS beside it. A
// wait that never returns (a connection dropped without the client noticing, an engine that missed the exit) must
// not leave a task RUNNING for ever; the poll costs one inspect per running container every few seconds.
import type Docker from "dockerode";
import { statusOf } from "./docker-client.ts";

const EXIT_POLL_MS = 5000;

export type ExitWait = { kind: "exited"; code: number } | { kind: "gone" } | { kind: "closed" };

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

/** Resolves when the container `id` has exited (its code), is gone (404), or the driver closed (`closed()`). */
export async function waitForExit(streams: Docker, api: Docker, id: string, driver: AbortSignal, closed: () => boolean): Promise<ExitWait> {
  for (let attempt = 0; ; attempt++) {
    const done = new AbortController();
    try {
      return await Promise.race([
        streams
          .getContainer(id)
          .wait({ abortSignal: AbortSignal.any([driver, done.signal]) })
          .then((r: { StatusCode: number }): ExitWait => ({ kind: "exited", code: r.StatusCode })),
        pollExited(api, id, done.signal),
      ]);
    } catch (e) {
      if (closed()) return { kind: "closed" };
      if (statusOf(e) === 404) return { kind: "gone" };
      // The wait connection broke (engine restart, proxy): look again.
      await sleep(Math.min(2000, 100 * 2 ** attempt), driver);
    } finally {
      done.abort();
    }
  }
}

/** Inspects every EXIT_POLL_MS until the container is no longer running; never settles once `signal` aborts. */
async function pollExited(api: Docker, id: string, signal: AbortSignal): Promise<ExitWait> {
  while (!signal.aborted) {
    await sleep(EXIT_POLL_MS, signal);
    if (signal.aborted) break;
    try {
      const info = await api.getContainer(id).inspect();
      if (!info.State.Running && info.State.Status !== "created") return { kind: "exited", code: info.State.ExitCode };
    } catch (e) {
      if (statusOf(e) === 404) return { kind: "gone" };
      // engine busy or restarting: the next poll (or the wait) answers
    }
  }
  return new Promise<ExitWait>(() => {});
}
