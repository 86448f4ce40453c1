// The server's log formatter (src/cli/logger.ts) and the CLI's colour and table helpers, on real pino records.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pino from "pino";
import { colourWanted, palette } from "../../src/cli/colour.ts";
import { formatDuration, formatTime, jobDuration, table } from "../../src/cli/format.ts";
import { formatRecord, PrettyLogStream, resolveLogFormat } from "../../src/cli/logger.ts";

/** A pino logger writing pretty lines into an array (the same destination stream `serve` uses). */
function prettyLogger(colour = false): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new PrettyLogStream({ write: (s: string) => lines.push(...s.split("\n").filter((l) => l !== "")) }, colour);
  return { log: pino({ level: "debug" }, stream), lines };
}

describe("pretty server log lines", () => {
  it("shows UTC time, level, message, then job id and the other fields compactly", () => {
    const { log, lines } = prettyLogger();
    log.info({ job_id: "3f2b8c1e", instance: "host-1", plugin: "shell", note: "two words", n: 3 }, "job started");
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] ?? "",
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z INFO  job started job_id=3f2b8c1e instance=host-1 plugin=shell note="two words" n=3$/,
    );
    assert.ok(!(lines[0] ?? "").includes("pid="), "pid and hostname are left out");
  });

  it("puts job fields first whatever order they were logged in, and prints objects as compact JSON", () => {
    const { log, lines } = prettyLogger();
    log.warn({ extra: { a: [1, 2] }, job: "abc" }, "claim lost");
    assert.match(lines[0] ?? "", /WARN  claim lost job=abc extra=\{"a":\[1,2\]\}$/);
  });

  it("shows an error's message (and its stack below, indented, at level error)", () => {
    const { log, lines } = prettyLogger();
    const err = Object.assign(new Error("disk on fire"), { code: "EIO" });
    log.warn({ err }, "flush failed");
    assert.match(lines[0] ?? "", /WARN  flush failed err="disk on fire \(EIO\)"$/);
    log.error({ err, job_id: "j1" }, "runner failed");
    assert.match(lines[1] ?? "", /ERROR runner failed job_id=j1 err="disk on fire \(EIO\)"$/);
    assert.match(lines[2] ?? "", /^ {4}at /, "stack frames follow, indented");
  });

  it("colours the level and keeps the same text when colours are off", () => {
    const { log, lines } = prettyLogger(true);
    log.error("boom");
    assert.ok((lines[0] ?? "").includes("\u001b[31mERROR\u001b[39m"), JSON.stringify(lines[0]));
    const plain = formatRecord({ level: 50, time: 0, msg: "boom" });
    assert.equal(plain, "1970-01-01 00:00:00.000Z ERROR boom\n");
  });

  it("passes a line that is not JSON through unchanged", () => {
    const out: string[] = [];
    new PrettyLogStream({ write: (s: string) => out.push(s) }, false).write("not json\n");
    assert.deepEqual(out, ["not json\n"]);
  });

  it("chooses pretty on a TTY and JSON otherwise unless the configuration says", () => {
    assert.equal(resolveLogFormat(undefined, { isTTY: true }), "pretty");
    assert.equal(resolveLogFormat(undefined, {}), "json");
    assert.equal(resolveLogFormat("json", { isTTY: true }), "json");
    assert.equal(resolveLogFormat("pretty", {}), "pretty");
  });
});

describe("CLI colours and tables", () => {
  it("colours only on a TTY, never with NO_COLOR or --no-color, and with FORCE_COLOR without a TTY", () => {
    assert.equal(colourWanted({ isTTY: true }, undefined, {}), true);
    assert.equal(colourWanted({}, undefined, {}), false);
    assert.equal(colourWanted({ isTTY: true }, undefined, { NO_COLOR: "1" }), false);
    assert.equal(colourWanted({ isTTY: true }, false, {}), false);
    assert.equal(colourWanted({}, undefined, { FORCE_COLOR: "1" }), true);
    assert.equal(colourWanted({}, undefined, { FORCE_COLOR: "1", NO_COLOR: "1" }), false);
    assert.equal(palette(false).status("FAILED"), "FAILED");
    assert.equal(palette(true).status("FAILED"), "\u001b[31mFAILED\u001b[39m");
  });

  it("aligns columns by display width: wide characters count two, colour codes none", () => {
    const c = palette(true);
    const out = table(
      ["NAME", "STATUS", "X"],
      [
        ["日本語ジョブ", "FAILED", "1"],
        ["ascii", "SUCCEEDED", "2"],
      ],
      (t, _r, col) => (col === 1 ? c.status(t) : t),
    );
    const lines = out.trimEnd().split("\n");
    // "日本語ジョブ" is 6 characters but 12 columns wide: the next column starts at column 14 on every line.
    assert.equal(lines[0], "NAME          STATUS     X");
    assert.equal(lines[1], "日本語ジョブ  \u001b[31mFAILED\u001b[39m     1");
    assert.equal(lines[2], "ascii         \u001b[32mSUCCEEDED\u001b[39m  2");
  });

  it("writes times in UTC with a Z and durations compactly", () => {
    assert.equal(formatTime(0), "1970-01-01 00:00:00Z");
    assert.equal(formatTime(null), "");
    assert.equal(formatDuration(5), "5s");
    assert.equal(formatDuration(125), "2m 05s");
    assert.equal(formatDuration(3 * 3600 + 120), "3h 02m");
    assert.equal(jobDuration({ started_at: 100, finished_at: 190 }), "1m 30s");
    assert.equal(jobDuration({ started_at: 100, finished_at: null }, 110), "10s");
    assert.equal(jobDuration({ created_at: 100 }), "", "absent fields: no duration");
  });
});
