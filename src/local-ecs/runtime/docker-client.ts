// Docker Engine API clients (dockerode) for Docker and Podman's Docker-compatible service, with the retry and
// timeout rules of the docker runtime.
import Docker from "dockerode";

/** A client for `host` (unix:///path, tcp://host:port, http(s)://…); timeoutMs bounds each idle request. */
export function dockerClient(host: string | undefined, timeoutMs?: number): Docker {
  const h = host ?? process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
  const timeout = timeoutMs === undefined ? {} : { timeout: timeoutMs };
  if (h.startsWith("unix://")) return new Docker({ socketPath: h.slice("unix://".length), ...timeout });
  if (h.startsWith("/")) return new Docker({ socketPath: h, ...timeout });
  const u = new URL(h.replace(/^tcp:/, "http:"));
  return new Docker({ host: u.hostname, port: Number(u.port) || 2375, protocol: u.protocol === "https:" ? "https" : "http", ...timeout });
}

export const statusOf = (e: unknown): number | undefined => (e as { statusCode?: number }).statusCode;

/** Engine error text without dockerode's "(HTTP code 404) no such container - " prefix noise. */
export function engineMessage(e: unknown): string {
  const err = e as { json?: { message?: string }; message?: string };
  return err.json?.message ?? String(err.message ?? e).replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, "");
}

const TRANSIENT = new Set(["ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT", "ESOCKETTIMEDOUT"]);

/** Retry a short Engine API call on connection failures and 502/503/504: 3 attempts, 200/400 ms apart. */
export async function retry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const status = statusOf(e);
      const transient = (code !== undefined && TRANSIENT.has(code)) || status === 502 || status === 503 || status === 504;
      if (i >= attempts || !transient) throw e;
      await new Promise((r) => setTimeout(r, 200 * i));
    }
  }
}
