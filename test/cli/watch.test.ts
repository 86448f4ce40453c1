// Watching jobs with the real CLI against a real `heimdall serve` with its embedded local ECS endpoint:
// `job logs --follow` on a running ECS job (every task's lines, prefixed [slot.attempt], before the job ends),
// `job submit --wait` (id at once, progress on stderr, stderr tail of a failure), `job tasks`, `job rerun`,
// jobs tables with timing columns and wide characters, colours and help texts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import stringWidth from "string-width";
import { ApiClient } from "../../src/cli/client.ts";
import { palette } from "../../src/cli/colour.ts";
import { followJobLogs } from "../../src/cli/job-logs.ts";
import { ecsCommand, fargateCluster, localCommands, localhost } from "../ui/fixtures.ts";
import { BIN, cliAsync, startServer } from "./server-process.ts";
import type { ServerProcess } from "./server-process.ts";

type Job = { id: string; status: string; error?: string; name?: string; version?: string; context?: unknown; progress?: unknown };
const FINAL = ["SUCCEEDED", "FAILED", "KILLED", "CANCELED"];
const ESC = "\u001b[";

/** 3 tasks, each printing `line-1` … `line-8` a second apart. */
const ticking = {
  name: "ticking",
  version: "2.0",
  command_criteria: ["type:ecs"],
  cluster_criteria: ["type:fargate"],
  context: {
    task_count: 3,
    container_overrides: [{ name: "main", command: ["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do echo line-$i; sleep 1; done"] }],
  },
};

const LINES = ["line-1", "line-2", "line-3", "line-4", "line-5", "line-6", "line-7", "line-8"];

/** Slot 1 writes to stderr and exits 3 on both of its attempts (max_fail_count 1); slot 0 succeeds. */
const failing = {
  name: "failing",
  command_criteria: ["type:ecs"],
  cluster_criteria: ["type:fargate"],
  context: {
    task_count: 2,
    max_fail_count: 1,
    container_overrides: [
      { name: "main", command: ["sh", "-c", 'echo "run of $TASK_NAME"; case "$TASK_NAME" in *-1) echo "bad input" >&2; exit 3;; esac'] },
    ],
  },
};

describe("watching jobs with the CLI (local ECS)", () => {
  let srv: ServerProcess;
  let env: Record<string, string>;

  before(async () => {
    srv = await startServer({
      extra: {
        local_ecs: {
          enabled: true,
          host: "127.0.0.1",
          port: 0,
          settings: { pacing: "instant", clusters: ["default", "my-fargate-cluster"] },
        },
        commands: [...localCommands.filter((c) => ["ping-0.0.1", "fail-0.0.1"].includes(c.name)), ecsCommand],
        clusters: [localhost, fargateCluster],
      },
    });
    env = { HEIMDALL_URL: srv.url, HEIMDALL_USER: "wanda", NO_COLOR: "", FORCE_COLOR: "" };
  });
  after(async () => {
    if (srv?.running()) await srv.stop();
  });

  const run = (args: string[], extra: Record<string, string> = {}) => cliAsync(args, { ...env, ...extra });

  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await fetch(`${srv.url}/api/v1${path}`, {
      method,
      headers: { "content-type": "application/json", "X-Heimdall-User": "wanda" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${await r.clone().text()}`);
    return (await r.json()) as T;
  }

  async function waitFinal(id: string): Promise<Job> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const j = await api<Job>("GET", `/job/${id}`);
      if (FINAL.includes(j.status)) return j;
      assert.ok(Date.now() < deadline, `job ${id} still ${j.status}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Spawns the CLI and calls `onLine` for every stdout line as it arrives. */
  function spawnCli(args: string[], onLine: (line: string) => void | Promise<void>, extra: Record<string, string> = {}) {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env, ...extra } });
    let stdout = "";
    let stderr = "";
    let pending = "";
    const handlers: Promise<void>[] = [];
    p.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        handlers.push(Promise.resolve(onLine(pending.slice(0, nl))));
        pending = pending.slice(nl + 1);
      }
    });
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      p.on("close", (code) => void Promise.all(handlers).then(() => resolve({ code, stdout, stderr }))),
    );
  }

  let tickingId = "";

  it("job logs --follow streams every task's lines prefixed [slot.attempt] while the job runs, then its status", async () => {
    const job = await api<Job>("POST", "/job", ticking);
    tickingId = job.id;
    const slotsSeen = new Set<string>();
    let statusWhenAllSlotsSeen: string | undefined;
    const r = await spawnCli(["job", "logs", job.id, "--follow"], async (line) => {
      const m = /^\[(\d)\.1\] line-\d$/.exec(line);
      if (m?.[1] === undefined) return;
      slotsSeen.add(m[1]);
      if (slotsSeen.size === 3 && statusWhenAllSlotsSeen === undefined) {
        statusWhenAllSlotsSeen = "?";
        statusWhenAllSlotsSeen = (await api<Job>("GET", `/job/${job.id}`)).status;
      }
    });
    assert.equal(r.code, 0, r.stderr);
    // Lines of all three slots arrived while the job was still running (each task prints for 8 s).
    assert.equal(statusWhenAllSlotsSeen, "RUNNING", `lines: ${r.stdout}`);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 3 * LINES.length, r.stdout);
    for (const slot of [0, 1, 2]) {
      const mine = lines.filter((l) => l.startsWith(`[${slot}.1] `)).map((l) => l.slice(6));
      assert.deepEqual(mine, LINES, `slot ${slot} in order, once each`);
    }
    assert.match(r.stderr, new RegExp(`^job ${job.id} SUCCEEDED( after \\d+s)?\\n$`));
  });

  it("colours the prefixes per slot only when colours are wanted; --slot and --timestamps", async () => {
    assert.ok(tickingId !== "");
    const coloured = await run(["job", "logs", tickingId, "--follow"], { FORCE_COLOR: "1" });
    assert.equal(coloured.code, 0, coloured.stderr);
    const prefixes = new Set(
      coloured.stdout
        .trimEnd()
        .split("\n")
        .map((l) => l.slice(0, l.indexOf("]") + 1)),
    );
    assert.equal(prefixes.size, 3, [...prefixes].join(" "));
    for (const p of prefixes) assert.match(p, /^\u001b\[3\dm\[\d\.1\]$/);
    assert.equal(new Set([...prefixes].map((p) => p.slice(0, 5))).size, 3, "a different colour per slot");
    const noColor = await run(["job", "logs", tickingId, "--follow"], { FORCE_COLOR: "1", NO_COLOR: "1" });
    assert.ok(!noColor.stdout.includes(ESC) && !noColor.stderr.includes(ESC), "NO_COLOR wins");
    const flag = await run(["job", "logs", tickingId, "--follow", "--no-color"], { FORCE_COLOR: "1" });
    assert.ok(!flag.stdout.includes(ESC), "--no-color wins");
    const one = await run(["job", "logs", tickingId, "--follow", "--slot", "1", "--timestamps"]);
    assert.equal(one.code, 0, one.stderr);
    const lines = one.stdout.trimEnd().split("\n");
    assert.equal(lines.length, LINES.length);
    for (const l of lines) assert.match(l, /^\[1\.1\] \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ line-\d$/);
    const bad = await run(["job", "logs", tickingId, "--follow", "--slot", "x"]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, "heimdall: --slot: must be a non-negative integer, got x\n");
  });

  /**
   * Runs `fn` with a proxy to the server whose first log stream breaks after 4 lines: `cut` drops the connection
   * (a restarting server, a network drop), `stall` keeps it open and sends nothing more (a half-open connection).
   */
  async function viaFaultyProxy(mode: "cut" | "stall", fn: (url: string, logRequests: string[]) => Promise<void>): Promise<void> {
    const logRequests: string[] = [];
    const proxy = createServer((req, res) => {
      const isLogs = /\/logs\?/.test(req.url ?? "");
      if (isLogs) logRequests.push(req.url ?? "");
      const faulty = isLogs && logRequests.length === 1;
      const up = httpRequest(`${srv.url}${req.url ?? "/"}`, { method: req.method, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        res.flushHeaders();
        if (!faulty) return void upRes.pipe(res);
        let buf = "";
        let lines = 0;
        upRes.on("data", (d: Buffer) => {
          buf += d.toString();
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl + 1);
            buf = buf.slice(nl + 1);
            if (line.includes('"message"') && ++lines === 4) {
              upRes.destroy();
              // Once the 4th line is on its way: drop the connection (the chunked body never completes), or stall.
              res.write(line, () => (mode === "cut" ? res.socket?.destroy() : undefined));
              return;
            }
            res.write(line);
          }
        });
      });
      up.on("error", () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    try {
      await fn(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, logRequests);
    } finally {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  }

  function assertEveryLineOnce(stdout: string): void {
    const lines = stdout.trimEnd().split("\n");
    assert.equal(lines.length, 3 * LINES.length, stdout);
    for (const slot of [0, 1, 2]) {
      const mine = lines.filter((l) => l.startsWith(`[${slot}.1] `)).map((l) => l.slice(6));
      assert.deepEqual(mine, LINES, `slot ${slot}: no line lost or repeated`);
    }
  }

  it("job logs --follow resumes from the last cursor when the connection drops: every line exactly once", async () => {
    const job = await api<Job>("POST", "/job", ticking);
    await viaFaultyProxy("cut", async (url, logRequests) => {
      const r = await run(["job", "logs", job.id, "--follow", "--server", url]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(logRequests.length >= 2, `reconnected: ${logRequests.join(" ")}`);
      assert.match(logRequests[1] ?? "", /[?&]cursor=[^&]+/, "the second request resumes from a cursor");
      assert.match(r.stderr, /^\(log stream interrupted; reconnecting\)\n/);
      assertEveryLineOnce(r.stdout);
    });
  });

  it("a log stream that stays silent (no line, no heartbeat) counts as dropped and is resumed", { timeout: 120_000 }, async () => {
    const job = await api<Job>("POST", "/job", ticking);
    await viaFaultyProxy("stall", async (url, logRequests) => {
      let stdout = "";
      let stderr = "";
      const result = await followJobLogs(new ApiClient({ server: url, user: "wanda" }), job.id, {
        colour: palette(false),
        silenceMs: 2000,
        out: (s) => (stdout += s),
        err: (s) => (stderr += s),
      });
      assert.deepEqual(result, { kind: "final", status: "SUCCEEDED" });
      assert.ok(logRequests.length >= 2, "reconnected after the silence");
      assert.match(logRequests[1] ?? "", /[?&]cursor=[^&]+/);
      // (A 2 s silence can also happen between real lines, e.g. while the job finishes: more reconnects are fine.)
      assert.match(stderr, /^(\(log stream interrupted; reconnecting\)\n)+$/);
      assertEveryLineOnce(stdout);
    });
  });

  it("job tasks prints the slots × attempts table; job rerun submits the same job again", async () => {
    const t = await run(["job", "tasks", tickingId]);
    assert.equal(t.code, 0, t.stderr);
    const lines = t.stdout.trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^cluster my-fargate-cluster · 3 tasks · max_fail_count 3 · outcome succeeded$/);
    assert.deepEqual(lines.slice(1), ["SLOT  ATTEMPT 1", "0     SUCCEEDED 0", "1     SUCCEEDED 0", "2     SUCCEEDED 0"]);
    const wide = await run(["job", "tasks", tickingId, "--wide"]);
    assert.match(wide.stdout, /^TASK +STATUS +CAPACITY +STARTED +STOPPED +DURATION +REASON +ARN$/m);
    assert.match(
      wide.stdout,
      /^2\.1 +SUCCEEDED 0 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +\d+s +.*arn:aws:ecs:/m,
    );

    const again = await run(["job", "rerun", tickingId, "--json"]);
    assert.equal(again.code, 0, again.stderr);
    const copy = JSON.parse(again.stdout) as Job & { command_criteria: string[]; cluster_criteria: string[]; user: string };
    assert.notEqual(copy.id, tickingId);
    assert.equal(copy.name, ticking.name);
    assert.equal(copy.version, ticking.version);
    assert.deepEqual(copy.command_criteria, ticking.command_criteria);
    assert.deepEqual(copy.cluster_criteria, ticking.cluster_criteria);
    assert.deepEqual(copy.context, ticking.context);
    assert.equal(copy.user, "wanda");
    assert.equal((await waitFinal(copy.id)).status, "SUCCEEDED");
  });

  it("job submit --wait prints the id at once, then status changes and the ECS task summary on stderr", async () => {
    let idLine: string | undefined;
    let statusWhenIdPrinted: string | undefined;
    const r = await spawnCli(
      [
        "job",
        "submit",
        "--name",
        "waited",
        "--command-criteria",
        "type:ecs",
        "--cluster-criteria",
        "type:fargate",
        "--context",
        JSON.stringify(ticking.context),
        "--wait",
      ],
      async (line) => {
        if (idLine !== undefined) return;
        idLine = line;
        statusWhenIdPrinted = (await api<Job>("GET", `/job/${line}`)).status;
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[0-9a-f-]{36}\n$/, "stdout is the id alone");
    assert.ok(
      statusWhenIdPrinted !== undefined && !FINAL.includes(statusWhenIdPrinted),
      `the id came before the job ended (${statusWhenIdPrinted})`,
    );
    const id = r.stdout.trim();
    const stamps = r.stderr.trimEnd().split("\n");
    for (const l of stamps) assert.match(l, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ /, "every progress line starts with a UTC time");
    assert.match(r.stderr, /Z RUNNING\n/);
    // The ECS task summary (the job's `progress`) while it runs, and the last one before the final status.
    assert.match(r.stderr, /Z ECS tasks: 0\/3 succeeded, [1-3] running/);
    assert.match(r.stderr, /Z ECS tasks: 3\/3 succeeded\n[^\n]*Z SUCCEEDED after \d+s\n$/);
    assert.equal((await api<Job>("GET", `/job/${id}`)).status, "SUCCEEDED");
  });

  it("a failed ECS job: submit --wait shows the stderr tail; logs --follow shows every attempt and exits 1", async () => {
    const r = await run([
      "job",
      "submit",
      "--name",
      failing.name,
      "--command-criteria",
      "type:ecs",
      "--cluster-criteria",
      "type:fargate",
      "--context",
      JSON.stringify(failing.context),
      "--wait",
    ]);
    assert.equal(r.code, 1, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.match(r.stderr, /Z FAILED( after \d+s)?\n/);
    assert.match(r.stderr, new RegExp(`--- stderr of job ${id} ---\\n(.*\\n)*.*bad input\\n---\\n`));
    assert.match(r.stderr, new RegExp(`heimdall: job ${id} ended FAILED: task slot 1 .*\\n$`));

    const follow = await run(["job", "logs", id, "--follow"]);
    assert.equal(follow.code, 1);
    const lines = follow.stdout.trimEnd().split("\n").sort();
    assert.deepEqual(lines, [
      `[0.1] run of heimdall-job-${id}-0`,
      `[1.1] bad input`,
      `[1.1] run of heimdall-job-${id}-1`,
      `[1.2] bad input`,
      `[1.2] run of heimdall-job-${id}-1`,
    ]);
    assert.match(follow.stderr, new RegExp(`^heimdall: job ${id} ended FAILED.*: task slot 1 `));

    const tasks = await run(["job", "tasks", id]);
    assert.deepEqual(tasks.stdout.trimEnd().split("\n").slice(1), [
      "SLOT  ATTEMPT 1    ATTEMPT 2",
      "0     SUCCEEDED 0",
      "1     FAILED 3     FAILED 3",
    ]);
    assert.match(tasks.stdout, /outcome failed \(slot 1\): task slot 1 /);
  });

  it("falls back to the job's stdout for a non-ECS job and exits 1 when it failed; job tasks says there are none", async () => {
    const job = await api<Job>("POST", "/job", { command_criteria: ["type:fail"], cluster_criteria: ["type:localhost"] });
    await waitFinal(job.id);
    const r = await run(["job", "logs", job.id, "--follow"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "starting the export\n");
    assert.match(r.stderr, new RegExp(`^heimdall: job ${job.id} ended FAILED( after \\d+s)?: exit status 3\\n$`));
    const t = await run(["job", "tasks", job.id]);
    assert.equal(t.code, 1);
    assert.equal(t.stderr, "heimdall: job has no task timeline [HTTP 404]\n");
  });

  it("jobs tables show UTC Created/Started/Finished and Duration, aligned for wide characters", async () => {
    const wideName = "日本語ジョブ";
    const r = await run([
      "job",
      "submit",
      "--name",
      wideName,
      "--command-criteria",
      "type:ping",
      "--cluster-criteria",
      "type:localhost",
      "--wait",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const list = await run(["job", "list", "--limit", "5", "--order-by", "created_at", "--direction", "desc"]);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout
      .trimEnd()
      .split("\n")
      .filter((l) => !l.startsWith("(more: "));
    assert.match(lines[0] ?? "", /^ID +NAME +USER +STATUS +COMMAND +CLUSTER +CREATED +STARTED +FINISHED +DURATION$/);
    const mine = lines.find((l) => l.includes(wideName)) ?? "";
    assert.match(mine, /SUCCEEDED +ping-0\.0\.1 +localhost-0\.0\.1 +(\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +){2}/);
    // Every row's USER column starts at the same display column as the header's, whatever the name's width.
    const col = (l: string, word: string) => stringWidth(l.slice(0, l.indexOf(word)));
    const userCol = col(lines[0] ?? "", "USER");
    for (const l of lines.slice(1)) assert.equal(col(l, "wanda"), userCol, `aligned: ${l}`);
    const statusCol = col(lines[0] ?? "", "STATUS");
    assert.equal(col(mine, "SUCCEEDED"), statusCol);
    const coloured = await run(["job", "list", "--limit", "1", "--status", "succeeded"], { FORCE_COLOR: "1" });
    assert.match(coloured.stdout, /\u001b\[32mSUCCEEDED\u001b\[39m/);
    const get = await run(["job", "get", r.stdout.trim()]);
    assert.match(get.stdout, /^created_at: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/m);
  });

  it("has help texts with examples", async () => {
    for (const cmd of ["submit", "logs", "tasks", "rerun", "list", "get", "status", "cancel", "result"]) {
      const h = await run(["job", cmd, "--help"]);
      assert.equal(h.code, 0);
      assert.match(h.stdout, new RegExp(`Examples:\\n {2}\\$ heimdall job ${cmd} `), cmd);
    }
  });

  it("logs the AWS SDK's process warnings as JSON lines, never as raw text", () => {
    const lines = srv.output().trimEnd().split("\n");
    const notJson = lines.filter((l) => {
      try {
        JSON.parse(l);
        return false;
      } catch {
        return true;
      }
    });
    assert.deepEqual(notJson, [], "every server output line is a JSON log record");
    // The SDK warns on Node < 22 when its first client is built (the ECS job above built one).
    if (Number(process.versions.node.split(".")[0]) < 22) {
      assert.ok(
        lines.some((l) => /"level":40.*NodeVersionSupportWarning/.test(l)),
        "the SDK's notice is a warn record",
      );
    }
  });
});
