#!/usr/bin/env node
// The `result` tool (spec 10.10): `result [-type json|message] < input` writes result.json (mode 0600)
// into the current directory, for scripts run by the `shell` plugin.
import { writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";

function parseType(argv: readonly string[]): string {
  let type = "message";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--?type(?:=(.*))?$/.exec(a);
    if (!m) continue;
    if (m[1] !== undefined) type = m[1];
    else if (i + 1 < argv.length) type = argv[++i]!;
  }
  return type;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Builds the message result for the given type; throws with a message for invalid JSON input. */
function buildResult(type: string, input: string): { columns: { name: string; type: string }[]; data: unknown[][] } {
  let cell: unknown = input;
  if (type === "json") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch (err) {
      throw new Error(`result: stdin is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Error("result: stdin must be one JSON object");
    }
    cell = parsed;
  }
  return { columns: [{ name: "message", type: "string" }], data: [[cell]] };
}

async function main(): Promise<void> {
  const type = parseType(process.argv.slice(2));
  const input = await readStdin();
  let result;
  try {
    result = buildResult(type, input);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
  const path = join(process.cwd(), "result.json");
  writeFileSync(path, JSON.stringify(result), { mode: 0o600 });
  chmodSync(path, 0o600);
}

main().catch((err: unknown) => {
  process.stderr.write(`result: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
