// The definition's healthCheck run by the local ECS through exec (the same on Docker and Podman, whose own
// health checks need systemd timers): HEALTHY after the first pass, UNHEALTHY after `retries` consecutive
// failures once `startPeriod` is over.
import type Docker from "dockerode";
import type { Json } from "../protocol.ts";

export function healthCommand(hc: Json): string[] | undefined {
  const cmd = Array.isArray(hc.command) ? (hc.command as string[]) : [];
  if (cmd[0] === "CMD-SHELL") return ["/bin/sh", "-c", cmd.slice(1).join(" ")];
  if (cmd[0] === "CMD") return cmd.slice(1);
  return cmd.length ? cmd : undefined;
}

/** One exec of `cmd` in the container; resolves to its exit code (or 1 when it does not finish in time). */
async function probe(docker: Docker, id: string, cmd: string[], timeoutMs: number): Promise<number> {
  const signal = AbortSignal.timeout(timeoutMs + 1000);
  const exec = await docker
    .getContainer(id)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, abortSignal: signal } as Docker.ExecCreateOptions);
  const stream = await exec.start({ hijack: true, stdin: false, abortSignal: signal } as Docker.ExecStartOptions);
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, timeoutMs);
    stream.on("data", () => {});
    const done = (): void => {
      clearTimeout(t);
      resolve();
    };
    stream.on("end", done);
    stream.on("close", done);
    stream.on("error", done);
  });
  const info = await exec.inspect();
  return info.Running ? 1 : (info.ExitCode ?? 1);
}

/** Starts the check loop; returns a function that stops it. */
export function startHealthChecks(docker: Docker, id: string, hc: Json, report: (s: "HEALTHY" | "UNHEALTHY") => void): () => void {
  const cmd = healthCommand(hc);
  if (!cmd) return () => {};
  const sec = (v: unknown, d: number): number => (typeof v === "number" && v >= 0 ? v : d) * 1000;
  const interval = sec(hc.interval, 30);
  const timeout = sec(hc.timeout, 5);
  const retries = typeof hc.retries === "number" ? Math.max(1, hc.retries) : 3;
  const startPeriod = sec(hc.startPeriod, 0);
  const began = Date.now();
  let failures = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async (): Promise<void> => {
    if (stopped) return;
    const code = await probe(docker, id, cmd, timeout).catch(() => 1);
    if (stopped) return;
    if (code === 0) {
      failures = 0;
      report("HEALTHY");
    } else if (Date.now() - began >= startPeriod && ++failures >= retries) report("UNHEALTHY");
    timer = setTimeout(() => void tick(), interval);
    timer.unref();
  };
  // First check right away (ECS waits `interval` first; locally the faster signal is more useful).
  timer = setTimeout(() => void tick(), 0);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
