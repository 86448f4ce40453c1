// Single-instance lock for a SQLite database: `<db>.lock` created with O_EXCL holding the owner's pid.
// A lock whose pid is no longer alive (SIGKILLed owner) is stale and taken over; taking over renames the stale
// file away first, so two starters cannot both remove the same stale lock. The connection additionally runs in
// EXCLUSIVE locking mode, so SQLite itself refuses a second writer process.
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { HeimdallError } from "../../core/index.ts";

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function inUse(displayPath: string, pid: number | string): HeimdallError {
  return new HeimdallError(
    "STORE",
    `database ${displayPath} is in use by another Heimdall server (pid ${pid}); SQLite allows one instance — ` +
      `use PostgreSQL for several`,
  );
}

export interface FileLock {
  release(): void;
}

/** Takes the lock or throws HeimdallError("STORE") naming the holder. */
export function acquireLock(dbPath: string, displayPath: string): FileLock {
  const lockPath = `${dbPath}.lock`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(lockPath, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            if (readFileSync(lockPath, "utf8").trim() === String(process.pid)) unlinkSync(lockPath);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new HeimdallError("STORE", `cannot lock database ${displayPath}: ${(err as Error).message}`);
      }
    }
    let text = "";
    try {
      text = readFileSync(lockPath, "utf8").trim();
    } catch {
      continue; // removed meanwhile: retry
    }
    const pid = Number(text);
    if (text === "") {
      // Being written right now by another starter (created, pid not yet written).
      if (attempt < 4) continue;
      throw inUse(displayPath, "unknown");
    }
    if (pidAlive(pid)) throw inUse(displayPath, pid);
    try {
      const aside = `${lockPath}.stale-${process.pid}`;
      renameSync(lockPath, aside);
      // Another starter may have replaced the stale lock with a live one between our read and the rename.
      const moved = readFileSync(aside, "utf8").trim();
      const livePid = Number(moved);
      if (moved !== text && pidAlive(livePid)) {
        try {
          linkSync(aside, lockPath); // put the live lock back (fails if yet another one exists)
        } catch {
          // leave it; SQLite's exclusive locking still guards the file
        }
        unlinkSync(aside);
        throw inUse(displayPath, livePid);
      }
      unlinkSync(aside);
    } catch (err) {
      if (err instanceof HeimdallError) throw err;
      // lost a race with another starter; retry
    }
  }
  throw new HeimdallError("STORE", `cannot lock database ${displayPath}: lock file ${lockPath} keeps changing`);
}
