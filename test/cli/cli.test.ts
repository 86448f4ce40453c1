// `heimdall` subcommands against a real server process (`heimdall serve` on a free port, SQLite in a temp dir).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { cliAsync, startServer } from "./server-process.ts";
import type { ServerProcess } from "./server-process.ts";

describe("heimdall CLI", () => {
  let srv: ServerProcess;
  let env: Record<string, string>;
  before(async () => {
    srv = await startServer();
    env = { HEIMDALL_URL: srv.url, HEIMDALL_USER: "" };
  });
  after(async () => {
    if (srv.running()) await srv.stop();
  });
  const run = (...args: string[]) => cliAsync(args, env);

  it("prints its version", async () => {
    const r = await run("--version");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
  });

  it("submits a ping job from flags and waits for SUCCEEDED; get/status/result/list", async () => {
    const r = await run(
      "job",
      "submit",
      "--user",
      "carol",
      "--name",
      "cli-ping",
      "--version",
      "1.0",
      "--command-criteria",
      "type:ping",
      "--cluster-criteria",
      "type:localhost",
      "--tag",
      "env:test",
      "--tag",
      "x:y",
      "--wait",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout);
    assert.equal(job.status, "SUCCEEDED");
    assert.equal(job.version, "1.0");
    assert.deepEqual(job.tags, [`_id:${job.id}`, "_name:cli-ping", "_version:1.0", "env:test", "x:y"]);
    const st = await run("job", "status", job.id);
    assert.equal(st.stdout, "SUCCEEDED\n");
    const res = await run("job", "result", job.id);
    assert.equal(res.stdout, "message\nHello, carol!\n");
    const get = await run("job", "get", job.id);
    assert.match(get.stdout, /^id: +[0-9a-f-]{36}$/m);
    assert.match(get.stdout, /^user: +carol$/m);
    const list = await run("job", "list", "--username", "carol", "--status", "succeeded");
    assert.equal(list.code, 0);
    const lines = list.stdout.trim().split("\n");
    assert.match(lines[0] ?? "", /^ID +NAME +USER +STATUS +COMMAND +CLUSTER +CREATED +STARTED +FINISHED +DURATION$/);
    assert.equal(lines.length, 2);
    assert.match(lines[1] ?? "", new RegExp(`^${job.id} +cli-ping +carol +SUCCEEDED +ping-0\\.0\\.1 +localhost-0\\.0\\.1 `));
  });

  it("submits from --file, tails logs with --follow until final, and prints stderr", async () => {
    const file = join(srv.dir, "job.json");
    writeFileSync(
      file,
      JSON.stringify({
        name: "from-file",
        command_criteria: ["type:shell"],
        cluster_criteria: ["type:localhost"],
        context: { arguments: ["one", "two", "three"] },
      }),
    );
    const sub = await run("job", "submit", "--user", "dave", "--file", file, "--json");
    assert.equal(sub.code, 0, sub.stderr);
    const job = JSON.parse(sub.stdout);
    assert.equal(job.name, "from-file");
    const follow = await run("job", "logs", job.id, "--follow");
    assert.equal(follow.code, 0, follow.stderr);
    assert.equal(follow.stdout, "one\ntwo\nthree\n");
    assert.equal((await run("job", "status", job.id)).stdout, "SUCCEEDED\n");
    const err = await run("job", "logs", job.id, "--stderr");
    assert.equal(err.stdout, "");
  });

  it("lists commands and clusters as tables and JSON", async () => {
    const cmds = await run("command", "list");
    assert.equal(cmds.code, 0);
    assert.match(cmds.stdout, /^ID +NAME +VERSION +PLUGIN +STATUS +USER +UPDATED$/m);
    assert.match(cmds.stdout, /^shell-0\.0\.1 +shell-0\.0\.1 +shell +ACTIVE +heimdall /m);
    const cl = await run("cluster", "list", "--json");
    assert.deepEqual(
      JSON.parse(cl.stdout).data.map((c: { id: string }) => c.id),
      ["localhost-0.0.1"],
    );
    const one = await run("command", "get", "ping-0.0.1", "--json");
    assert.equal(JSON.parse(one.stdout).plugin, "ping");
  });

  it("fails with the server's message and a non-zero exit code", async () => {
    const unknown = await run("job", "get", "nope");
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, "heimdall: unknown job_id [HTTP 404]\n");
    const anon = await run("job", "submit", "--command-criteria", "type:ping");
    assert.equal(anon.code, 1);
    assert.equal(anon.stderr, "heimdall: cannot identify caller -- access denied [HTTP 401]\n");
    const noPair = await run("job", "submit", "--user", "x", "--command-criteria", "type:none", "--cluster-criteria", "type:localhost");
    assert.equal(noPair.code, 1);
    assert.match(noPair.stderr, /^heimdall: command-cluster pair is not found \(job [0-9a-f-]{36}\) \[HTTP 404\]\n$/);
    const badCtx = await run("job", "submit", "--user", "x", "--context", "{oops");
    assert.equal(badCtx.code, 1);
    assert.match(badCtx.stderr, /^heimdall: --context: invalid JSON/);
    const list = await run("job", "list", "--status", "RUNING");
    assert.equal(list.stderr, "heimdall: unknown status: RUNING [HTTP 400]\n");
    const down = await cliAsync(["job", "list", "--server", "http://127.0.0.1:1"]);
    assert.equal(down.code, 2);
    assert.match(down.stderr, /^heimdall: cannot reach http:\/\/127\.0\.0\.1:1/);
    const cancel = await run("job", "list", "--json", "--limit", "1");
    const id = JSON.parse(cancel.stdout).data[0].id;
    const c = await run("job", "cancel", id, "--user", "x");
    assert.equal(c.code, 1);
    assert.match(c.stderr, /^heimdall: job is already in a final state: SUCCEEDED \[HTTP 409\]/);
  });

  it("gives up on a server that accepts the connection but never answers (--request-timeout)", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s)); // reads nothing, answers nothing
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const t0 = Date.now();
      const r = await cliAsync(["job", "list", "--server", `http://127.0.0.1:${port}`, "--request-timeout", "1"]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, `heimdall: no response from http://127.0.0.1:${port} within 1s (--request-timeout)\n`);
      assert.ok(Date.now() - t0 < 20_000, "the CLI did not hang");
      const bad = await cliAsync(["job", "list", "--server", `http://127.0.0.1:${port}`, "--request-timeout", "soon"]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^heimdall: --request-timeout: must be a number of seconds >= 0/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it("stops on SIGTERM with exit code 0", async () => {
    const code = await srv.stop();
    assert.equal(code, 0, srv.output());
  });
});

describe("heimdall serve startup errors", () => {
  it("prints one clear line and exits 1 for an unreadable config file", async () => {
    const r = await cliAsync(["serve", "--config", "/nonexistent/heimdall.yaml"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /^heimdall: configuration: .*\/nonexistent\/heimdall\.yaml/);
  });

  it("accepts -conf and --conf as aliases of --config", async () => {
    for (const flag of ["-conf", "--conf"]) {
      const r = await cliAsync(["serve", flag, "/nonexistent/other.yaml"]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^heimdall: configuration: .*\/nonexistent\/other\.yaml/);
    }
  });
});
