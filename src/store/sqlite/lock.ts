// Single-instance lock for a SQLite database: `<db>.lock` created with O_EXCL holding the owner's pid.
// A lock left behind is stale when its pid is dead (SIGKILLed owner), when it names this very process but this
// process does not hold it (a container restarted with the same pid), or when its pid is alive but the database
// is not actually held (pid reused by an unrelated process): the owner's connections keep the WAL's shared
// memory open, so a probe in EXCLUSIVE locking mode is refused while the owner lives (`databaseHeld`). Taking a stale
// lock over renames it away
// first, so two starters cannot both remove the same stale lock.
import { closeSync, existsSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import Database from "better-sqlite3";
import { HeimdallError, errorMessage } from "../../core/index.ts";

/** Lock files held by this process (absolute paths). */
const heldHere = new Set<string>();

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * True when another connection has the database open (or holds its write lock). The probe asks for EXCLUSIVE
 * locking: in WAL mode that needs the WAL's shared memory to itself, which any open connection refuses it.
 */
export function databaseHeld(dbPath: string): boolean {
  if (!existsSync(dbPath)) return false;
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { fileMustExist: true, timeout: 0 });
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN IMMEDIATE");
    db.exec("ROLLBACK");
    return false;
  } catch (err) {
    return /busy|locked/i.test(errorMessage(err));
  } finally {
    try {
      db?.close();
    } catch {
      // ignore
    }
  }
}

export function inUse(displayPath: string, pid: number | string): HeimdallError {
  return new HeimdallError(
    "STORE",
    `database ${displayPath} is in use by another Heimdall server (pid ${pid}); SQLite allows one instance — ` +
      `use PostgreSQL for several`,
  );
}

/** Whether the lock naming `pid` belongs to a live Heimdall holding `dbPath`. */
function lockIsLive(lockPath: string, dbPath: string, pid: number): boolean {
  if (pid === process.pid) return heldHere.has(lockPath);
  return pidAlive(pid) && databaseHeld(dbPath);
}

export interface FileLock {
  release(): void;
}

function created(lockPath: string): FileLock {
  heldHere.add(lockPath);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      heldHere.delete(lockPath);
      try {
        if (readFileSync(lockPath, "utf8").trim() === String(process.pid)) unlinkSync(lockPath);
      } catch {
        // already gone
      }
    },
  };
}

/** Takes the lock or throws HeimdallError("STORE") naming the holder. */
export function acquireLock(dbPath: string, displayPath: string): FileLock {
  const lockPath = `${dbPath}.lock`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(lockPath, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return created(lockPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new HeimdallError("STORE", `cannot lock database ${displayPath}: ${errorMessage(err)}`);
      }
    }
    let text = "";
    try {
      text = readFileSync(lockPath, "utf8").trim();
    } catch {
      continue; // removed meanwhile: retry
    }
    if (text === "") {
      // Just created by another starter that has not written its pid yet.
      if (attempt < 4) continue;
      throw inUse(displayPath, "unknown");
    }
    const pid = Number(text);
    if (lockIsLive(lockPath, dbPath, pid)) throw inUse(displayPath, pid);
    try {
      const aside = `${lockPath}.stale-${process.pid}`;
      renameSync(lockPath, aside);
      // Another starter may have replaced the stale lock with a live one between our read and the rename.
      const moved = readFileSync(aside, "utf8").trim();
      const movedPid = Number(moved);
      if (moved !== text && lockIsLive(lockPath, dbPath, movedPid)) {
        try {
          linkSync(aside, lockPath); // put the live lock back (fails if yet another one exists)
        } catch {
          // leave it; the live holder's open connections still refuse the probe
        }
        unlinkSync(aside);
        throw inUse(displayPath, movedPid);
      }
      unlinkSync(aside);
    } catch (err) {
      if (err instanceof HeimdallError) throw err;
      // lost a race with another starter; retry
    }
  }
  throw new HeimdallError("STORE", `cannot lock database ${displayPath}: lock file ${lockPath} keeps changing`);
}
