// Public surface of the web UI for the server and tests: where the built bundle lives, and building it on demand.
// The browser code is in ./app (Preact, bundled by scripts/build-ui.mjs with esbuild).
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
/** The package root: this file is src/ui/index.ts (tsx) or dist/ui/index.js (compiled), two levels down. */
const packageRoot = join(here, "..", "..");
const buildScript = join(packageRoot, "scripts", "build-ui.mjs");
const appSources = join(packageRoot, "src", "ui", "app");
/** The files of src/core the bundle includes (api-types.ts imports types.ts; docs/decisions.md). */
const coreSources = ["api-types.ts", "types.ts"].map((f) => join(packageRoot, "src", "core", f));

/**
 * Absolute path of the built UI (index.html + assets/), served by the API as its static root: dist/ui/public,
 * the same folder whether the server runs from the sources or from dist/, and part of the published package.
 */
export function uiDistDir(): string {
  return join(packageRoot, "dist", "ui", "public");
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

/**
 * true when index.html is missing or older than a source file of the UI (core's api-types.ts and types.ts included)
 * or the build script. An installed package has no UI sources: its bundle is never stale.
 */
export function uiBuildIsStale(): boolean {
  const index = join(uiDistDir(), "index.html");
  if (!existsSync(index)) return true;
  if (!existsSync(appSources)) return false;
  const built = statSync(index).mtimeMs;
  const sources = Math.max(newestMtime(appSources), ...[buildScript, ...coreSources].map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
  return sources > built;
}

let building: Promise<string> | undefined;

/** Builds the UI when missing or stale; resolves to uiDistDir(). Concurrent calls share one build. */
export function ensureUiBuilt(): Promise<string> {
  if (!uiBuildIsStale()) return Promise.resolve(uiDistDir());
  if (!existsSync(appSources) || !existsSync(buildScript)) {
    return Promise.reject(new Error(`UI bundle missing (${uiDistDir()}) and no UI sources to build it from`));
  }
  building ??= new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [buildScript], { timeout: 120_000 }, (err, _stdout, stderr) => {
      building = undefined;
      if (err) reject(new Error(`UI build failed: ${stderr.trim() || err.message}`));
      else resolve(uiDistDir());
    });
  });
  return building;
}
