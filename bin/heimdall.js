#!/usr/bin/env node
// Entry point of the `heimdall` command: runs the compiled CLI (dist/, written by `npm run build`).
// Tests and development run the TypeScript sources instead: `node --import tsx src/cli/main.ts ...`.
import { existsSync } from "node:fs";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write("heimdall: dist/ is missing: run `npm run build` first (or `node --import tsx src/cli/main.ts`)\n");
  process.exit(1);
}
const { runCli } = await import(main.href);
await runCli(process.argv);
