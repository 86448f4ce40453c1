// `heimdall serve` log lines people can read: pretty on a TTY (a real pseudo-terminal through util-linux
// `script`), JSON when piped, `log_format` / HEIMDALL_LOG_FORMAT choosing explicitly; process warnings go through
// the logger (a preloaded module emits one on SIGUSR2) and never appear as raw text.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { stringify } from "yaml";
import { BIN, cliAsync, freePort, launchServer } from "./server-process.ts";

const PRETTY_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) /;
const hasScript = spawnSync("script", ["--version"]).status === 0;

describe("heimdall serve log format", () => {
  const dir = mkdtempSync(join(tmpdir(), "heimdall-logs-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // Emits a process warning whenever the server gets SIGUSR2 (loaded with --import into the server process).
  const preload = join(dir, "warn-on-usr2.mjs");
  writeFileSync(
    preload,
    `process.on("SIGUSR2", () => process.emitWarning("disk almost full\\nsecond line", { type: "HeimdallTestWarning", code: "HT001" }));\n`,
  );

  function config(port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      server: { addr: `127.0.0.1:${port}`, shutdown_timeout: 5 },
      database: { connection_string: `sqlite:${join(dir, `h-${port}.db`)}` },
      jobs_directory: join(dir, `jobs-${port}`),
      auth: { plugin: "auth_header", default_user: "logger" },
      local_ecs: { enabled: false },
      commands: [{ name: "ping-0.0.1", plugin: "ping", version: "0.0.1", tags: ["type:ping"], cluster_tags: ["type:localhost"] }],
      clusters: [{ name: "localhost-0.0.1", version: "0.0.1", tags: ["type:localhost"] }],
      ...extra,
    };
  }

  /** Runs serve, submits a ping job, triggers a process warning, stops it; returns its output and the job id. */
  async function serveOnce(extra: Record<string, unknown>, env: Record<string, string>): Promise<{ lines: string[]; jobId: string }> {
    const port = await freePort();
    const srv = await launchServer(config(port, extra), {
      dir,
      port,
      env: { NODE_OPTIONS: `--import ${pathToFileURL(preload).href}`, ...env },
    });
    try {
      const sub = await fetch(`${srv.url}/api/v1/job`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] }),
      });
      const { id } = (await sub.json()) as { id: string };
      for (let i = 0; i < 100; i++) {
        const s = (await (await fetch(`${srv.url}/api/v1/job/${id}/status`)).json()) as { status: string };
        if (s.status === "SUCCEEDED") break;
        await new Promise((r) => setTimeout(r, 100));
      }
      srv.proc.kill("SIGUSR2");
      for (let i = 0; i < 100 && !srv.output().includes("disk almost full"); i++) await new Promise((r) => setTimeout(r, 100));
      srv.proc.kill("SIGTERM");
      assert.equal(await srv.exited, 0, srv.output());
      return { lines: srv.output().trimEnd().split("\n"), jobId: id };
    } finally {
      if (srv.running()) srv.proc.kill("SIGKILL");
    }
  }

  it("writes one JSON record a line when not on a terminal, the process warning included", async () => {
    const { lines } = await serveOnce({}, {});
    const records = lines.map((l) => {
      try {
        return JSON.parse(l) as { level: number; msg: string; warning?: string; code?: string };
      } catch {
        assert.fail(`not a JSON line: ${l}`);
      }
    });
    assert.ok(records.some((r) => r.msg.startsWith("heimdall ") && r.msg.includes(" listening on ")));
    const warning = records.find((r) => r.warning === "HeimdallTestWarning");
    assert.ok(warning, lines.join("\n"));
    assert.equal(warning.level, 40);
    assert.equal(warning.code, "HT001");
    assert.equal(warning.msg, "disk almost full second line");
  });

  it("writes readable lines with log_format: pretty (UTC time, level, message, job id), the warning too", async () => {
    const { lines, jobId } = await serveOnce({ log_format: "pretty" }, {});
    for (const l of lines.filter((x) => !x.startsWith("    at "))) assert.match(l, PRETTY_LINE);
    assert.ok(
      lines.some((l) => / INFO {2}heimdall \S+ listening on http:\/\/127\.0\.0\.1:\d+ .*database=sqlite/.test(l)),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => / WARN {2}disk almost full second line warning=HeimdallTestWarning code=HT001$/.test(l)),
      lines.join("\n"),
    );
    // The engine's job lines carry job_id, shown right after the message.
    assert.ok(
      lines.some((l) => new RegExp(` INFO {2}job [a-z ]+ job_id=${jobId}( |$)`).test(l)),
      lines.join("\n"),
    );
    assert.ok(!lines.some((l) => l.includes("\u001b[")), "no colours when not on a terminal");
  });

  it("HEIMDALL_LOG_FORMAT beats the file; bad values stop the server with one clear line", async () => {
    const { lines } = await serveOnce({ log_format: "pretty" }, { HEIMDALL_LOG_FORMAT: "json" });
    for (const l of lines) assert.doesNotThrow(() => JSON.parse(l), l);
    const port = await freePort();
    const file = join(dir, "bad.yaml");
    writeFileSync(file, stringify(config(port, { log_format: "xml" })));
    const bad = await cliAsync(["serve", "--config", file]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^heimdall: configuration: .*log_format: must be one of json, pretty\n$/);
    writeFileSync(file, stringify(config(port)));
    const env = await cliAsync(["serve", "--config", file], { HEIMDALL_LOG_FORMAT: "fancy" });
    assert.equal(env.code, 1);
    assert.equal(env.stderr, 'heimdall: configuration: HEIMDALL_LOG_FORMAT: must be one of json, pretty (got "fancy")\n');
  });

  it("is pretty and coloured by default on a terminal", { skip: hasScript ? false : "util-linux script not installed" }, async () => {
    const port = await freePort();
    const file = join(dir, "tty.yaml");
    writeFileSync(file, stringify(config(port)));
    const pidFile = join(dir, "tty.pid");
    const inner = `echo $$ > ${pidFile}; exec ${process.execPath} ${BIN} serve --config ${file}`;
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: "xterm" };
    delete env["NO_COLOR"];
    delete env["FORCE_COLOR"];
    const p = spawn("script", ["-qfec", `sh -c '${inner}'`, "/dev/null"], { cwd: dir, env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => p.on("close", resolve));
    try {
      for (let i = 0; i < 600 && !/listening on/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(out, /listening on/);
    } finally {
      process.kill(Number(readFileSync(pidFile, "utf8").trim()), "SIGTERM");
    }
    assert.equal(await exited, 0, out);
    const plain = out
      .replace(/\u001b\[\d+m/g, "")
      .split(/\r?\n/)
      .filter((l) => l !== "");
    for (const l of plain) assert.match(l, PRETTY_LINE);
    assert.ok(out.includes("\u001b[32mINFO "), "levels are coloured on a terminal");
  });
});
