// Public surface of the web UI for the server and tests: where the built bundle lives, and building it on demand.
// The browser code is in ./app (Preact, bundled by scripts/build-ui.mjs with esbuild).
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const buildScript = join(here, "..", "..", "scripts", "build-ui.mjs");

/** Absolute path of the built UI (index.html + assets/), served by the API as its static root. */
export function uiDistDir(): string {
  return join(here, "dist");
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/** true when dist/index.html is missing or older than a source file of the UI or the build script. */
export function uiBuildIsStale(): boolean {
  const index = join(uiDistDir(), "index.html");
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const sources = Math.max(newestMtime(join(here, "app")), existsSync(buildScript) ? statSync(buildScript).mtimeMs : 0);
  return sources > built;
}

let building: Promise<string> | undefined;

/** Builds the UI when missing or stale; resolves to uiDistDir(). Concurrent calls share one build. */
export function ensureUiBuilt(): Promise<string> {
  if (!uiBuildIsStale()) return Promise.resolve(uiDistDir());
  building ??= new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [buildScript], { timeout: 120_000 }, (err, _stdout, stderr) => {
      building = undefined;
      if (err) reject(new Error(`UI build failed: ${stderr.trim() || err.message}`));
      else resolve(uiDistDir());
    });
  });
  return building;
}
