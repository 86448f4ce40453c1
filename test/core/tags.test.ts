import { test } from "node:test";
import assert from "node:assert/strict";
import { charLength, compareCodePoints, finalTags, sortTagSet, systemTags, truncateChars } from "../../src/core/index.ts";

void test("systemTags always has the three system tags, even with empty name/version", () => {
  assert.deepEqual(systemTags("x", "", ""), ["_id:x", "_name:", "_version:"]);
  assert.deepEqual(systemTags("ping-0.0.1", "ping-0.0.1", "0.0.1"), ["_id:ping-0.0.1", "_name:ping-0.0.1", "_version:0.0.1"]);
});

void test("finalTags drops reserved client tags, adds system tags, dedups and sorts", () => {
  const tags = finalTags(["type:ping", "_id:evil", "_name:evil", "_version:9", "type:ping", "a"], "id1", "n", "1");
  assert.deepEqual(tags, ["_id:id1", "_name:n", "_version:1", "a", "type:ping"]);
  // the spec's job example
  assert.deepEqual(finalTags(["owner:#dev-core", "env:prod"], "3f2b", "ping-test", "0.0.1"), [
    "_id:3f2b",
    "_name:ping-test",
    "_version:0.0.1",
    "env:prod",
    "owner:#dev-core",
  ]);
  // a prefix without the colon is not reserved
  assert.deepEqual(finalTags(["_identity"], "i", "n", "v"), ["_id:i", "_identity", "_name:n", "_version:v"]);
});

void test("sortTagSet orders by code point, not UTF-16 units or locale", () => {
  const emoji = "\u{1F600}"; // surrogate pair, code point above U+FFFF
  const privateUse = "\uE000"; // BMP character above the surrogate range
  // plain `<` would put the emoji (0xD83D...) before U+E000
  assert.deepEqual(sortTagSet([emoji, privateUse, "B", "a", "Z", "é"]), ["B", "Z", "a", "é", privateUse, emoji]);
  assert.deepEqual(sortTagSet(["b", "a", "b"]), ["a", "b"]);
  assert.ok(compareCodePoints("ab", "abc") < 0);
  assert.ok(compareCodePoints("abc", "ab") > 0);
  assert.equal(compareCodePoints("x", "x"), 0);
  // equal to UTF-8 byte order
  const words = ["\uFFFD", "\u{10000}", "\u00FF", "z", "\uD7FF", "\u{1F600}a", "\u{1F600}"];
  const byBytes = [...words].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  assert.deepEqual(sortTagSet(words), byBytes);
});

void test("charLength counts code points; truncateChars keeps pairs whole", () => {
  assert.equal(charLength("abc"), 3);
  assert.equal(charLength("\u{1F600}\u{1F600}"), 2);
  assert.equal(charLength("é"), 1);
  assert.equal(truncateChars("\u{1F600}\u{1F600}x", 1), "\u{1F600}");
  assert.equal(truncateChars("abc", 5), "abc");
});
