// `ping` plugin (spec 10.7), directly and through the engine.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import type { Cluster, Job, Result } from "../../src/core/index.ts";
import { builtinPlugins, pingPlugin, type Runtime } from "../../src/plugins/index.ts";
import { silentLog } from "../engine/helpers.ts";

const services = { state: { put: async () => {}, list: async () => [] }, log: silentLog, version: "1" };

describe("ping plugin", () => {
  it("is registered with shell and ecs, and is not resumable", () => {
    const reg = builtinPlugins();
    assert.deepEqual([...reg.keys()].sort(), ["ecs", "ping", "shell"]);
    assert.equal(reg.get("ping"), pingPlugin);
    assert.notEqual(pingPlugin.resumable, true);
  });

  it("answers Hello, <user>! as a message result and writes nothing", async () => {
    const h = await pingPlugin.create({ ignored: true }, {} as never, services);
    let result: Result | undefined;
    const out = new PassThrough();
    let written = 0;
    out.on("data", (b: Buffer) => (written += b.length));
    const rt: Runtime = {
      workingDirectory: "/nonexistent",
      version: "1",
      userAgent: "heimdall/1",
      resumed: false,
      stdout: out,
      stderr: out,
      setResult: (r) => (result = r),
      setOutput: () => {},
    };
    await h.execute(new AbortController().signal, rt, { user: "test_user", context: { x: 1 } } as unknown as Job, {} as Cluster);
    assert.deepEqual(result, { columns: [{ name: "message", type: "string" }], data: [["Hello, test_user!"]] });
    assert.equal(written, 0);
    await h.healthCheck!({} as Cluster, new AbortController().signal);
    await h.cleanup("any", undefined, new AbortController().signal);
  });
});
