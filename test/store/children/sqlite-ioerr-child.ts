// Child of sqlite-ioerr.test.ts: runs under a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored), so SQLite's writes
// past it fail with EFBIG, which SQLite reports as SQLITE_IOERR_WRITE. Appends job output through the real store
// until a write fails and prints the failure's code and retry class as one JSON line.
import { dbErrorClass, openStore } from "../../../src/store/index.ts";
import { newJob } from "../fixtures.ts";

const store = await openStore({ connectionString: `sqlite:${process.argv[2]}` });
const job = await store.insertJob(newJob());
let offset = 0;
let out: { ok: boolean; code?: unknown; cls?: string | undefined; message?: string } = { ok: true };
for (let i = 0; i < 400; i++) {
  try {
    await store.appendFile(job.id, "stdout", [Buffer.alloc(64 * 1024, 0x61)], offset);
    offset += 64 * 1024;
  } catch (err) {
    let code: unknown;
    for (let e = err as { code?: unknown; cause?: unknown } | undefined; e && code === undefined; e = e.cause as typeof e) {
      if (typeof e.code === "string" && e.code.startsWith("SQLITE")) code = e.code;
    }
    out = { ok: false, code, cls: dbErrorClass(err), message: (err as Error).message };
    break;
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);
await store.close().catch(() => undefined);
