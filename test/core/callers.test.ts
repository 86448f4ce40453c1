import { test } from "node:test";
import assert from "node:assert/strict";
import { compileCallers, HeimdallError } from "../../src/core/index.ts";

void test("empty list allows everyone", () => {
  const m = compileCallers("c", []);
  assert.equal(m("anyone"), true);
  assert.equal(m(""), true);
});

void test("patterns are anchored and OR-ed (spec 8.2 example)", () => {
  const m = compileCallers("c", ["svc-.*", "alice@example\\.com"]);
  const cases: [string, boolean][] = [
    ["svc-etl", true],
    ["alice@example.com", true],
    ["bob@example.com", false],
    ["xsvc-etl", false],
    ["alice@examplexcom", false],
    ["alice@example.com.evil", false],
  ];
  for (const [who, want] of cases) assert.equal(m(who), want, who);
});

void test("alternation inside a pattern stays inside its group", () => {
  const m = compileCallers("c", ["a|b"]);
  assert.equal(m("a"), true);
  assert.equal(m("b"), true);
  assert.equal(m("ab"), false);
  assert.equal(m("xa"), false);
});

void test("validation messages", () => {
  const cases: [string[], string][] = [
    [[""], "command c: allowed_callers contains empty pattern"],
    [["ok", "  "], "command c: allowed_callers contains empty pattern"],
    [["svc-("], 'command c: invalid allowed_callers pattern "svc-(": missing closing )'],
    [["a**"], 'command c: invalid allowed_callers pattern "a**": invalid nested repetition operator'],
    [["(?=x)"], 'command c: invalid allowed_callers pattern "(?=x)": '],
  ];
  for (const [patterns, message] of cases) {
    assert.throws(
      () => compileCallers("c", patterns),
      (err: unknown) => err instanceof HeimdallError && err.code === "BAD_REQUEST" && err.message.startsWith(message),
      message,
    );
  }
});

void test("matching is linear-time (no catastrophic backtracking)", () => {
  const m = compileCallers("c", ["(a+)+$"]);
  // A backtracking engine would never finish this input; a linear one answers at once.
  assert.equal(m("a".repeat(5000) + "!"), false);
  assert.equal(m("a".repeat(5000)), true);
});
