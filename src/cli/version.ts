// Build version (spec 11.5): HEIMDALL_VERSION when set at build/deploy time, else package.json's version.
import { readFileSync } from "node:fs";

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export const VERSION: string = process.env["HEIMDALL_VERSION"] || packageVersion();
