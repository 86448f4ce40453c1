import { test } from "node:test";
import assert from "node:assert/strict";
import { durationMs, formatDuration, HeimdallError, parseDuration, tryParseDuration } from "../../src/core/index.ts";

const S = 1_000_000_000n;

void test("valid durations (spec 10.4 and Go syntax)", () => {
  const cases: [string, bigint][] = [
    ["30s", 30n * S],
    ["1h", 3600n * S],
    ["45m", 2700n * S],
    ["2h15m30s", (2n * 3600n + 15n * 60n + 30n) * S],
    ["1.5h", 5400n * S],
    ["300ms", 300_000_000n],
    ["3600s", 3600n * S],
    ["-1m", -60n * S],
    ["0", 0n],
    ["+0", 0n],
    ["-0", 0n],
    ["+5s", 5n * S],
    ["1ns", 1n],
    ["1us", 1000n],
    ["1\u00b5s", 1000n],
    ["1\u03bcs", 1000n],
    [".5s", 500_000_000n],
    ["1.s", S],
    ["1.0000000009s", S], // below-nanosecond fractions are truncated, like Go
    ["0s", 0n],
    ["1h1h", 7200n * S],
    ["9223372036854775807ns", 9223372036854775807n],
    ["-9223372036854775808ns", -9223372036854775808n],
    ["2562047h", 2562047n * 3600n * S],
  ];
  for (const [s, want] of cases) assert.equal(parseDuration(s, "timeout"), want, s);
});

void test("invalid durations", () => {
  const cases = [
    "30",
    "1d",
    "1w",
    "",
    " 30s",
    "30s ",
    "s",
    ".s",
    "1.5",
    "+",
    "-",
    "1h-1m",
    "1e3s",
    "2562048h",
    "9223372036854775808ns",
    "1sec",
  ];
  for (const s of cases) {
    assert.equal(tryParseDuration(s), undefined, s);
    assert.throws(
      () => parseDuration(s, "polling_interval"),
      (e: unknown) => e instanceof HeimdallError && e.code === "BAD_REQUEST" && e.message === `polling_interval: invalid duration "${s}"`,
      s,
    );
  }
  for (const v of [30, 0, 1.5, true, null, {}, ["30s"]]) {
    assert.throws(
      () => parseDuration(v, "timeout"),
      (e: unknown) => e instanceof HeimdallError && e.message === 'timeout: must be a duration string such as "30s"',
    );
  }
});

void test("formatDuration matches Go's Duration.String()", () => {
  const cases: [bigint, string][] = [
    [0n, "0s"],
    [1n, "1ns"],
    [999n, "999ns"],
    [2000n, "2µs"],
    [1500n, "1.5µs"],
    [500_000_000n, "500ms"],
    [1_500_000n, "1.5ms"],
    [S, "1s"],
    [1_500_000_000n, "1.5s"],
    [90n * S, "1m30s"],
    [3600n * S, "1h0m0s"],
    [(2n * 3600n + 15n * 60n + 30n) * S, "2h15m30s"],
    [60n * S, "1m0s"],
    [-60n * S, "-1m0s"],
    [-1_500_000_000n, "-1.5s"],
    [3600n * S + 1n, "1h0m0.000000001s"],
    [9223372036854775807n, "2562047h47m16.854775807s"],
    [-9223372036854775808n, "-2562047h47m16.854775808s"],
  ];
  for (const [ns, want] of cases) assert.equal(formatDuration(ns), want);
  for (const s of ["30s", "1h", "2h15m30s", "1.5h", "300ms", "-1m"]) {
    assert.equal(tryParseDuration(formatDuration(parseDuration(s, "x"))), parseDuration(s, "x"), s);
  }
});

void test("durationMs", () => {
  assert.equal(durationMs(2n * S), 2000);
  assert.equal(durationMs(1_500_000n), 1.5);
  assert.equal(durationMs(0n), 0);
});
