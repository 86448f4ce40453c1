// A real SQLITE_IOERR from the store (issue 8 item 1): a child process under a 2 MiB file-size limit appends job
// output through the SQLite store until SQLite's write fails with EFBIG (SQLITE_IOERR_WRITE); the store's error
// must carry the retry class `io` (a few retries, then the job fails clearly; the engine path of that class is
// tested with a full database in test/engine/sqlite-db-faults.test.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const child = new URL("./children/sqlite-ioerr-child.ts", import.meta.url).pathname;

test(
  "SQLite: a write past the file-size limit is SQLITE_IOERR_WRITE with retry class io",
  { skip: process.platform !== "linux" && "needs ulimit -f (Linux)" },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "heimdall-ioerr-"));
    try {
      // ulimit -f counts 1024-byte blocks on Linux (dash and bash).
      const script = `trap '' XFSZ; ulimit -f 2048; exec "${process.execPath}" --import tsx "${child}" "${join(dir, "h.db")}"`;
      const r = spawnSync("sh", ["-c", script], { encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as { ok: boolean; code?: string; cls?: string; message?: string };
      assert.equal(out.ok, false, "a write must fail under the limit");
      assert.match(out.code ?? "", /^SQLITE_IOERR/, out.message);
      assert.equal(out.cls, "io");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
