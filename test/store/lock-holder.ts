// Child process for the SQLite single-instance test: opens the store given as argv[2], prints "ready", and
// keeps it open until killed (SIGKILL in the test: the lock must then be recognised as stale).
import { openStore } from "../../src/store/index.ts";

const store = await openStore({ connectionString: process.argv[2] as string });
process.stdout.write("ready\n");
setInterval(() => void store.ping(), 1000);
