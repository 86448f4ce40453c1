import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeCursor, encodeCursor, HeimdallError, parsePageQuery, type OrderBy } from "../../src/core/index.ts";

const invalid = (fn: () => unknown) =>
  assert.throws(fn, (e: unknown) => e instanceof HeimdallError && e.code === "BAD_REQUEST" && e.message === "invalid pagination cursor");

void test("the spec's cursor example", () => {
  assert.equal(encodeCursor({ v: 1719999999, i: 42 }), "eyJ2IjoxNzE5OTk5OTk5LCJpIjo0Mn0=");
  assert.deepEqual(decodeCursor("eyJ2IjoxNzE5OTk5OTk5LCJpIjo0Mn0=", "created_at"), { v: 1719999999, i: 42 });
});

void test("round trips", () => {
  const cases: [{ v: string | number; i: number }, OrderBy][] = [
    [{ v: 17, i: 17 }, "seq"],
    [{ v: 1719999999, i: 1 }, "updated_at"],
    [{ v: "ping-0.0.1", i: 3 }, "id"],
    [{ v: "\u{1F600} ü/+?", i: 9007199254740991 }, "id"],
    [{ v: "", i: 0 }, "id"],
  ];
  for (const [c, ob] of cases) assert.deepEqual(decodeCursor(encodeCursor(c), ob), c);
});

void test("spaces are read as + (cursor pasted unencoded)", () => {
  const withPlus = encodeCursor({ v: "~~~>", i: 2 });
  assert.ok(withPlus.includes("+"), withPlus);
  assert.deepEqual(decodeCursor(withPlus.replace(/\+/g, " "), "id"), { v: "~~~>", i: 2 });
});

void test("invalid cursors", () => {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const cases: [string, OrderBy][] = [
    ["!!!", "seq"],
    ["", "seq"],
    ["a", "seq"],
    [b64("not json"), "seq"],
    [b64("[1,2]"), "seq"],
    [b64("null"), "seq"],
    [b64('{"v":1}'), "seq"],
    [b64('{"i":1}'), "seq"],
    [b64('{"v":"x","i":1}'), "created_at"],
    [b64('{"v":1,"i":1}'), "id"],
    [b64('{"v":1.5,"i":1}'), "seq"],
    [b64('{"v":1,"i":"1"}'), "seq"],
    [b64('{"v":1,"i":1.5}'), "updated_at"],
  ];
  for (const [s, ob] of cases) invalid(() => decodeCursor(s, ob));
});

void test("parsePageQuery defaults and coercions", () => {
  assert.deepEqual(parsePageQuery({}), { limit: 101, order_by: "seq", direction: "desc" });
  const limits: [unknown, number][] = [
    ["5", 5],
    ["101", 101],
    ["102", 101],
    ["100000", 101],
    ["0", 101],
    ["-3", 101],
    ["abc", 101],
    ["2.5", 101],
    ["", 101],
    [["7", "9"], 7],
  ];
  for (const [limit, want] of limits) assert.equal(parsePageQuery({ limit }).limit, want, String(limit));
  const orders: [unknown, string][] = [
    ["id", "id"],
    ["created_at", "created_at"],
    ["updated_at", "updated_at"],
    ["ID", "seq"],
    ["name", "seq"],
  ];
  for (const [order_by, want] of orders) assert.equal(parsePageQuery({ order_by }).order_by, want);
  for (const [direction, want] of [
    ["asc", "asc"],
    ["ASC", "asc"],
    ["Asc", "asc"],
    ["desc", "desc"],
    ["up", "desc"],
  ] as const) {
    assert.equal(parsePageQuery({ direction }).direction, want);
  }
  const q = parsePageQuery({ order_by: "id", cursor: encodeCursor({ v: "b", i: 2 }) });
  assert.deepEqual(q.cursor, { v: "b", i: 2 });
  // a cursor is checked against the order_by of the same request
  invalid(() => parsePageQuery({ order_by: "created_at", cursor: encodeCursor({ v: "b", i: 2 }) }));
});
