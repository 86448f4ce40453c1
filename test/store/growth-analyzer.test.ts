// The PostgreSQL store's GrowthAnalyzer (src/store/postgres/growth.ts): ANALYZE each time the job sequence doubles,
// one at a time. A doubling passed while one runs is not lost when no insert follows: it runs when that one ends.
// The database here is a stand-in whose ANALYZE ends when the test says so (the timing is what is under test).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ANALYZE_FROM_SEQ, GrowthAnalyzer } from "../../src/store/postgres/growth.ts";
import type { Db } from "../../src/store/shared/db.ts";

test("a doubling passed while an ANALYZE runs gets an ANALYZE of its own when that one ends; none after close", async () => {
  const ends: Array<() => void> = [];
  const db = { exec: () => new Promise<number>((resolve) => ends.push(() => resolve(0))) } as unknown as Db;
  const g = new GrowthAnalyzer(db);
  g.noteSeq(ANALYZE_FROM_SEQ - 1);
  assert.equal(ends.length, 0, "below the first doubling");
  g.noteSeq(ANALYZE_FROM_SEQ);
  assert.equal(ends.length, 1);
  g.noteSeq(2 * ANALYZE_FROM_SEQ + 5); // the next doubling, while the first ANALYZE runs
  assert.equal(ends.length, 1, "one at a time");
  ends[0]!();
  await new Promise((r) => setImmediate(r));
  assert.equal(ends.length, 2, "the doubling passed meanwhile runs now, with no further insert");
  const closing = g.idle();
  ends[1]!();
  await closing;
  g.noteSeq(16 * ANALYZE_FROM_SEQ);
  assert.equal(ends.length, 2, "nothing starts after close");
});
