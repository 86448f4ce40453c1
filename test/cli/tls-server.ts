// A `heimdall serve` over HTTPS with a self-signed certificate made by openssl (shared by the CLI and UI TLS tests).
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { stringify } from "yaml";
import { BIN, freePort } from "./server-process.ts";

export const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;

/** A self-signed certificate for 127.0.0.1/localhost, valid for a day. */
export function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${name}`,
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  return { cert, key };
}

export interface TlsServer {
  url: string;
  port: number;
  proc: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** `heimdall serve` with server.tls and the given extra keys; waits until GET /api/v1/health answers over HTTPS. */
export async function startTlsServer(dir: string, tls: { cert: string; key: string }, extra: Record<string, unknown>): Promise<TlsServer> {
  const port = await freePort();
  const file = join(dir, "heimdall.yaml");
  writeFileSync(
    file,
    stringify({
      server: { addr: `127.0.0.1:${port}`, shutdown_timeout: 5, tls: { cert_file: tls.cert, key_file: tls.key } },
      database: { connection_string: `sqlite:${join(dir, "heimdall.db")}` },
      jobs_directory: join(dir, "jobs"),
      log_level: "info",
      local_ecs: { enabled: false },
      commands: [{ name: "ping-0.0.1", plugin: "ping", version: "0.0.1", tags: ["type:ping"], cluster_tags: ["type:localhost"] }],
      clusters: [{ name: "localhost-0.0.1", version: "0.0.1", tags: ["type:localhost"] }],
      ...extra,
    }),
  );
  const proc = spawn(process.execPath, [BIN, "serve", "--config", file], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const url = `https://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`heimdall serve exited ${proc.exitCode}: ${out}`);
    const status = await new Promise<number>((resolve) => {
      const req = request(`${url}/api/v1/health`, { rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.once("error", () => resolve(0));
      req.end();
    });
    if (status === 200) break;
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`heimdall serve (TLS) not healthy: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    url,
    port,
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      await exited;
    },
  };
}
