// `shell` plugin (spec 10.8): argv without a shell, context.json, result.json, exit status, signals, abort
// kills the process group.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Cluster, Job, JsonObject, Result } from "../../src/core/index.ts";
import { createShellPlugin, shellPlugin, type Handler, type Runtime } from "../../src/plugins/index.ts";
import { silentLog } from "../engine/helpers.ts";

const services = { state: { put: async () => {}, list: async () => [] }, log: silentLog, version: "1.2.3" };
const SH = "/bin/sh";

function sink() {
  const parts: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      parts.push(chunk);
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(parts).toString("utf8") };
}

const cluster: Cluster = {
  id: "local",
  name: "local",
  version: "",
  user: "u",
  description: "",
  tags: ["_id:local"],
  context: { k: "v" },
  created_at: 1,
  updated_at: 1,
  status: "ACTIVE",
  health_check: false,
  attributes: {},
};
function job(context?: JsonObject): Job {
  return {
    id: "3f2b8c1e-6d4a-4c7e-9b1f-2a5d8e0c4b71",
    name: "j",
    version: "",
    user: "u",
    description: "",
    tags: ["_id:x"],
    ...(context ? { context } : {}),
    created_at: 1,
    updated_at: 2,
    status: "RUNNING",
    is_sync: false,
    store_result_sync: false,
    error: "",
    command_criteria: [],
    cluster_criteria: [],
    command_id: "c",
    command_name: "c",
    cluster_id: "local",
    cluster_name: "local",
    canceled_by: "",
    job_attributes: {},
  };
}

/** Waits (≤ 5 s) until the script has written its background process's pid, and returns it. */
async function readPidFile(pidFile: string): Promise<number> {
  const end = Date.now() + 5000;
  while (!(existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "") && Date.now() < end)
    await new Promise((res) => setTimeout(res, 10));
  return Number(readFileSync(pidFile, "utf8").trim());
}
describe("shell plugin", () => {
  let base: string;
  before(() => {
    base = mkdtempSync(join(tmpdir(), "heimdall-shell-"));
  });
  after(() => rm(base, { recursive: true, force: true }));

  let n = 0;
  async function run(argv: string[], context?: JsonObject, signal = new AbortController().signal, plugin = shellPlugin) {
    const h: Handler = await plugin.create({ command: argv }, {} as never, services);
    const dir = mkdtempSync(join(base, `w${n++}-`));
    const out = sink();
    const err = sink();
    let result: Result | undefined;
    const rt: Runtime = {
      workingDirectory: dir,
      version: "1.2.3",
      userAgent: "heimdall/1.2.3",
      resumed: false,
      stdout: out.stream,
      stderr: err.stream,
      setResult: (r) => (result = r),
      setOutput: () => {},
    };
    const p = h.execute(signal, rt, job(context), cluster);
    return { p, dir, out, err, result: () => result };
  }

  it("rejects a command context without a non-empty array of strings", async () => {
    for (const ctx of [{}, { command: [] }, { command: "ls" }, { command: [1] }, { command: [""] }]) {
      assert.throws(() => shellPlugin.create(ctx as JsonObject, {} as never, services), {
        message: 'shell: "command" must be a non-empty array of strings',
      });
    }
    assert.notEqual(shellPlugin.resumable, true);
  });

  it("appends job arguments to argv without any shell interpretation", async () => {
    const r = await run([SH, "-c", 'printf "%s|" "$@"', "sh", "fixed"], { arguments: ["a b", "c;d", "$(x)"], command: ["/bin/evil"] });
    await r.p;
    assert.equal(r.out.text(), "fixed|a b|c;d|$(x)|");
  });

  it("runs in the working directory with context.json, the server environment and empty stdin", async () => {
    process.env["HEIMDALL_SHELL_TEST"] = "env-ok";
    const r = await run([SH, "-c", 'pwd; echo "$HEIMDALL_SHELL_TEST"; cat; echo "stderr line" >&2']);
    await r.p;
    const [pwd, env] = r.out.text().split("\n");
    assert.equal(pwd, r.dir);
    assert.equal(env, "env-ok");
    assert.equal(r.err.text(), "stderr line\n");
    const ctx = JSON.parse(readFileSync(join(r.dir, "context.json"), "utf8"));
    assert.equal(ctx.job.id, "3f2b8c1e-6d4a-4c7e-9b1f-2a5d8e0c4b71");
    assert.equal(ctx.job.error, undefined, "wire form: empty fields omitted");
    assert.deepEqual(ctx.command, { command: [SH, "-c", 'pwd; echo "$HEIMDALL_SHELL_TEST"; cat; echo "stderr line" >&2'] });
    assert.equal(ctx.cluster.id, "local");
    assert.deepEqual(ctx.runtime, { WorkingDirectory: r.dir, Version: "1.2.3", UserAgent: "heimdall/1.2.3" });
    assert.match(readFileSync(join(r.dir, "context.json"), "utf8"), /\n  "job": \{/, "indented");
  });

  it("sets result.json as the result; an invalid one fails the job", async () => {
    const ok = await run([SH, "-c", `printf '{"columns":[{"name":"n","type":"int"}],"data":[[1]]}' > result.json`]);
    await ok.p;
    assert.deepEqual(ok.result(), { columns: [{ name: "n", type: "int" }], data: [[1]] });
    const none = await run([SH, "-c", "true"]);
    await none.p;
    assert.equal(none.result(), undefined);
    const bad = await run([SH, "-c", "echo '{nope' > result.json"]);
    await assert.rejects(bad.p, /^Error: invalid result.json: /);
    const shape = await run([SH, "-c", `echo '{"columns":"x"}' > result.json`]);
    await assert.rejects(shape.p, { message: "invalid result.json: columns: must be an array" });
  });

  it("reports exit status, signals and spawn errors", async () => {
    await assert.rejects((await run([SH, "-c", "exit 3"])).p, { message: "exit status 3" });
    await assert.rejects((await run([SH, "-c", "kill -TERM $$"])).p, { message: "signal: SIGTERM" });
    await assert.rejects((await run(["/nonexistent/heimdall-x"])).p, /ENOENT/);
  });

  it("validates job arguments at submit and at execute", async () => {
    const h = await shellPlugin.create({ command: ["/bin/true"] }, {} as never, services);
    assert.throws(() => h.validateJobContext!({ arguments: [1] }, cluster), { message: "context.arguments: must be an array of strings" });
    h.validateJobContext!({ arguments: ["x"] }, cluster);
    h.validateJobContext!(undefined, cluster);
    await assert.rejects((await run(["/bin/true"], { arguments: "x" })).p, {
      message: "invalid context: arguments: must be an array of strings",
    });
  });

  it("abort sends SIGTERM to the whole process group and settles when the child exited", async () => {
    const ac = new AbortController();
    const r = await run([SH, "-c", "sleep 30 & echo $! > grandchild.pid; wait"], undefined, ac.signal);
    const grandchild = await readPidFile(join(r.dir, "grandchild.pid"));
    assert.ok(alive(grandchild), "alive(grandchild)");
    ac.abort({ kind: "cancel" });
    await assert.rejects(r.p, { message: "signal: SIGTERM" });
    const deadline = Date.now() + 3000;
    while (alive(grandchild) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    assert.ok(!alive(grandchild), "the grandchild in the same process group was killed too");
  });

  it("abort also kills a background grandchild that outlived the child and holds its output open", async () => {
    const ac = new AbortController();
    const r = await run([SH, "-c", "sleep 30 & echo $! > grandchild.pid"], undefined, ac.signal);
    const grandchild = await readPidFile(join(r.dir, "grandchild.pid"));
    assert.ok(alive(grandchild), "alive(grandchild)");
    ac.abort({ kind: "cancel" });
    const settled = await Promise.race([
      r.p.then(
        () => "settled",
        () => "settled",
      ),
      new Promise((res) => setTimeout(res, 3000, "still running")),
    ]);
    assert.equal(settled, "settled");
    // The job settles when the grandchild's output closes, which happens early in its exit: give the kernel a moment.
    const deadline = Date.now() + 2000;
    while (alive(grandchild) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    assert.ok(!alive(grandchild), "the grandchild was killed");
  });

  it("SIGKILLs the process group when SIGTERM is ignored, after the grace period", async () => {
    const ac = new AbortController();
    const quick = createShellPlugin({ killGraceMs: 200 });
    const r = await run([SH, "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"], undefined, ac.signal, quick);
    const end = Date.now() + 5000;
    while (!r.out.text().includes("ready") && Date.now() < end) await new Promise((res) => setTimeout(res, 10));
    const t0 = Date.now();
    ac.abort({ kind: "shutdown" });
    await assert.rejects(r.p, { message: "signal: SIGKILL" });
    assert.ok(Date.now() - t0 >= 150, "SIGTERM alone did not stop it");
  });
});

/** True while the process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
