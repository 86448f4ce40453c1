import { test } from "node:test";
import assert from "node:assert/strict";
import { layerContext, type JsonObject, type LayerSchema } from "../../src/core/index.ts";

void test("the spec's worked example (10.3)", () => {
  const schema: LayerSchema = { timeout: "scalar", task_count: "scalar", tags: "map", container_overrides: "array" };
  const defaults = { timeout: "1h", task_count: 1, tags: {}, container_overrides: [] };
  const command = {
    task_count: 3,
    tags: { team: "data" },
    container_overrides: [{ name: "main", environment: [{ name: "A", value: "1" }] }],
  };
  const job = {
    task_count: 2,
    tags: { run: "42" },
    container_overrides: [{ name: "main", command: ["x"] }],
    timeout: null,
    colour: "blue",
  };
  const snapshot = JSON.stringify([defaults, command, job]);
  const result = layerContext(schema, defaults, command, job);
  assert.deepEqual(result, { task_count: 2, tags: { team: "data", run: "42" }, container_overrides: [{ name: "main", command: ["x"] }] });
  assert.equal("timeout" in result, false);
  // inputs are untouched
  assert.equal(JSON.stringify([defaults, command, job]), snapshot);
});

void test("layering rules table", () => {
  const schema: LayerSchema = {
    s: "scalar",
    a: "array",
    m: "map",
    o: { object: { x: "scalar", y: "array", inner: { object: { z: "scalar" } } } },
  };
  const defaults: JsonObject = { s: "d", a: [1, 2], m: { k1: "v1", k2: "v2" }, o: { x: 1, y: [1], inner: { z: "dz" } }, ignored: 1 };
  type Case = [string, (JsonObject | undefined)[], JsonObject];
  const cases: Case[] = [
    [
      "no layers: a copy of the defaults without unknown keys",
      [],
      { s: "d", a: [1, 2], m: { k1: "v1", k2: "v2" }, o: { x: 1, y: [1], inner: { z: "dz" } } },
    ],
    [
      "undefined layers are skipped",
      [undefined, undefined],
      { s: "d", a: [1, 2], m: { k1: "v1", k2: "v2" }, o: { x: 1, y: [1], inner: { z: "dz" } } },
    ],
    [
      "absent keys keep lower values; scalar replaces",
      [{ s: "c" }],
      { s: "c", a: [1, 2], m: { k1: "v1", k2: "v2" }, o: { x: 1, y: [1], inner: { z: "dz" } } },
    ],
    ["arrays replace entirely", [{ a: [9] }, {}], { s: "d", a: [9], m: { k1: "v1", k2: "v2" }, o: { x: 1, y: [1], inner: { z: "dz" } } }],
    [
      "maps merge key by key; null removes a key",
      [{ m: { k2: null, k3: "c" } }, { m: { k1: "j" } }],
      { s: "d", a: [1, 2], m: { k1: "j", k3: "c" }, o: { x: 1, y: [1], inner: { z: "dz" } } },
    ],
    [
      "objects merge recursively, unknown nested keys ignored",
      [{ o: { y: [2, 3], inner: { z: "cz", q: 1 }, nope: 1 } }],
      { s: "d", a: [1, 2], m: { k1: "v1", k2: "v2" }, o: { x: 1, y: [2, 3], inner: { z: "cz" } } },
    ],
    ["null clears at any level", [{ s: null, o: { inner: null } }], { a: [1, 2], m: { k1: "v1", k2: "v2" }, o: { x: 1, y: [1] } }],
    [
      "a cleared key can be set again by a higher layer",
      [{ s: null }, { s: "job" }],
      { s: "job", a: [1, 2], m: { k1: "v1", k2: "v2" }, o: { x: 1, y: [1], inner: { z: "dz" } } },
    ],
    ["wrong types replace (validation reports them later)", [{ m: "str", o: 5 }], { s: "d", a: [1, 2], m: "str", o: 5 }],
    [
      "keys match case-sensitively",
      [{ S: "x" }],
      { s: "d", a: [1, 2], m: { k1: "v1", k2: "v2" }, o: { x: 1, y: [1], inner: { z: "dz" } } },
    ],
  ];
  for (const [name, layers, want] of cases) assert.deepEqual(layerContext(schema, defaults, ...layers), want, name);
});

void test("the result shares no structure with the inputs", () => {
  const schema: LayerSchema = { a: "array", m: "map" };
  const layer: JsonObject = { a: [{ k: 1 }], m: { x: [1] } };
  const out = layerContext(schema, {}, layer);
  ((out["a"] as JsonObject[])[0] as JsonObject)["k"] = 2;
  ((out["m"] as JsonObject)["x"] as number[]).push(2);
  assert.deepEqual(layer, { a: [{ k: 1 }], m: { x: [1] } });
});
