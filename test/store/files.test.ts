// Job files, results and plugin state on both engines.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import type { Store } from "../../src/store/index.ts";
import { storeBackends } from "../helpers/db.ts";
import { newJob } from "./fixtures.ts";

async function read(s: Store, id: string, file: "stdout" | "stderr", start: number, end: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s.readFile(id, file, start, end)) parts.push(c);
  return Buffer.concat(parts);
}

for (const backend of storeBackends()) {
  void describe(`job files on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.closeAll());

    void test("append keeps write order; reads of any range return exactly those bytes", async () => {
      const s = await backend.open();
      const { id } = await s.insertJob(newJob());
      assert.equal(await s.fileSize(id, "stdout"), 0);
      assert.equal((await read(s, id, "stdout", 0, 100)).length, 0);

      // 200 KiB written as a large buffer (split into 64 KiB chunks), small writes and an empty one.
      const big = randomBytes(200 * 1024);
      const pieces = [Buffer.from("hello\n"), big, Buffer.alloc(0), Buffer.from("ü-tail")];
      await s.appendFile(id, "stdout", pieces.slice(0, 2));
      await s.appendFile(id, "stdout", pieces.slice(2));
      for (let i = 0; i < 40; i++) await s.appendFile(id, "stdout", [Buffer.from(`line ${i}\n`)]);
      const lines = Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join("");
      const whole = Buffer.concat([...pieces, Buffer.from(lines)]);
      assert.equal(await s.fileSize(id, "stdout"), whole.length);
      assert.equal(await s.fileSize(id, "stderr"), 0, "files are separate");

      assert.ok((await read(s, id, "stdout", 0, whole.length)).equals(whole));
      const ranges: [number, number][] = [
        [0, 1],
        [3, 9],
        [6, 6 + 65536],
        [65535, 65537],
        [100_000, 150_000],
        [whole.length - 5, whole.length],
        [whole.length - 100, whole.length + 1000],
        [whole.length, whole.length + 10],
        [10, 5],
        [204_000, 204_400],
      ];
      for (const [a, b] of ranges) {
        const got = await read(s, id, "stdout", a, b);
        assert.ok(got.equals(whole.subarray(a, Math.max(a, b))), `range ${a}-${b}`);
      }

      await s.appendFile(id, "stderr", [Buffer.from("err")]);
      assert.equal((await read(s, id, "stderr", 0, 10)).toString(), "err");
      await assert.rejects(s.appendFile("missing", "stdout", [Buffer.from("x")]), (e: Error & { code?: string }) => e.code === "STORE");
    });

    void test("results: put, replace, get; unknown job", async () => {
      const s = await backend.open();
      const { id } = await s.insertJob(newJob());
      assert.equal(await s.getResult(id), undefined);
      await s.putResult(id, `{"columns":[],"data":[]}`);
      await s.putResult(id, `{"columns":[{"name":"message","type":"string"}],"data":[["hi"]]}`);
      assert.equal(await s.getResult(id), `{"columns":[{"name":"message","type":"string"}],"data":[["hi"]]}`);
      await assert.rejects(s.putResult("missing", "{}"), (e: Error & { code?: string }) => e.code === "STORE");
    });

    void test("plugin state: upsert by key, list ordered by key, prefix filter", async () => {
      const s = await backend.open();
      const { id } = await s.insertJob(newJob());
      const other = await s.insertJob(newJob());
      await s.putPluginState(id, "task/2", { arn: "b" });
      await s.putPluginState(id, "task/1", { arn: "a", n: [1, 2] });
      await s.putPluginState(id, "meta", "x");
      await s.putPluginState(id, "task/1", { arn: "a2" });
      await s.putPluginState(other.id, "task/9", null);
      assert.deepEqual(await s.listPluginState(id), [
        { key: "meta", value: "x" },
        { key: "task/1", value: { arn: "a2" } },
        { key: "task/2", value: { arn: "b" } },
      ]);
      assert.deepEqual(
        (await s.listPluginState(id, "task/")).map((r) => r.key),
        ["task/1", "task/2"],
      );
      assert.deepEqual(await s.listPluginState(id, "TASK/"), [], "prefix is case-sensitive");
      assert.deepEqual(await s.listPluginState(id, "%"), [], "prefix is literal, not a pattern");
      assert.deepEqual(await s.listPluginState(other.id), [{ key: "task/9", value: null }]);
    });
  });
}
