// The `result` tool (spec 10.10) and a shell job end to end through the engine on a real store.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HeimdallError } from "../../src/core/index.ts";
import { backends, cluster, command, harness, input, never, readAll, registry, type Harness } from "../engine/helpers.ts";

const TOOL = new URL("../../src/cli/result-tool.ts", import.meta.url).pathname;
// Resolved here: `--import tsx` alone would resolve relative to the child's working directory.
const TSX = import.meta.resolve("tsx");

function resultTool(args: string[], stdin: string, cwd: string) {
  return spawnSync(process.execPath, ["--import", TSX, TOOL, ...args], { cwd, input: stdin, encoding: "utf8" });
}

describe("result tool", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "heimdall-result-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("-type json wraps one JSON object as the single cell, mode 0600", () => {
    const r = resultTool(["-type", "json"], '{"rows": 12}', dir);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(dir, "result.json"), "utf8"), '{"columns":[{"name":"message","type":"string"}],"data":[[{"rows":12}]]}');
    assert.equal(statSync(join(dir, "result.json")).mode & 0o777, 0o600);
  });

  it("-type json rejects anything but one JSON object with exit 1", () => {
    for (const bad of ["[1]", "nope", "12", "null"]) {
      const r = resultTool(["-type", "json"], bad, dir);
      assert.equal(r.status, 1, bad);
      assert.match(r.stderr, /result: /);
    }
  });

  it("message (default, or any other type) keeps stdin unchanged", () => {
    for (const args of [[], ["-type", "message"], ["-type", "other"]]) {
      const r = resultTool(args, "Hello,\n  world!\n", dir);
      assert.equal(r.status, 0);
      assert.deepEqual(JSON.parse(readFileSync(join(dir, "result.json"), "utf8")), {
        columns: [{ name: "message", type: "string" }],
        data: [["Hello,\n  world!\n"]],
      });
    }
  });
});

for (const backend of backends()) {
  describe(`shell jobs through the engine (${backend.name})`, () => {
    let h: Harness;
    before(async () => {
      h = await harness(backend, registry());
      const e = h.engine();
      await e.start();
      await e.putCluster(cluster("local"));
      const script = `echo "args: $*"; echo oops >&2; printf '{"columns":[{"name":"message","type":"string"}],"data":[["done"]]}' > result.json; [ "$1" != fail ] || exit 2`;
      await e.putCommand(command("sh", "shell", { is_sync: true, context: { command: ["/bin/sh", "-c", script, "sh"] } }));
    });
    after(() => h.dispose());

    it("stores stdout, stderr and result.json; deletes the working directory", async () => {
      const e = h.engines[0]!;
      const out = await e.submit(input("sh", { arguments: ["one", "two"] }), "u", never);
      assert.equal(out.job.status, "SUCCEEDED");
      assert.deepEqual(out.result, { columns: [{ name: "message", type: "string" }], data: [["done"]] });
      assert.equal(await readAll(h.store, out.job.id, "stdout"), "args: one two\n");
      assert.equal(await readAll(h.store, out.job.id, "stderr"), "oops\n");
      assert.throws(() => statSync(join(h.jobsDir, out.job.id)), /ENOENT/);
    });

    it("a non-zero exit is a 502 with `exit status N`", async () => {
      const e = h.engines[0]!;
      await assert.rejects(
        e.submit(input("sh", { arguments: ["fail"] }), "u", never),
        (err: HeimdallError) => err.status === 502 && err.message === "exit status 2",
      );
    });
  });
}
