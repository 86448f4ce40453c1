#!/usr/bin/env node
// The `heimdall` command on the TypeScript sources through tsx, for tests and benchmarks (BIN in
// ./server-process.ts): what bin/heimdall.js does on the compiled dist/, without needing a build.
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../../src/cli/main.ts");
await runCli(process.argv);
