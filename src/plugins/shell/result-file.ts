// Reads and validates the optional result.json a shell job leaves in its working directory (spec 10.8, 2.7).
import { readFile } from "node:fs/promises";
import type { Json, Result } from "../../core/index.ts";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Validates a parsed value as a result object; throws with `<path>: <problem>`. */
export function toResult(value: unknown): Result {
  if (!isObject(value)) throw new Error("must be a JSON object");
  const { columns, data } = value;
  if (columns !== undefined && !Array.isArray(columns)) throw new Error("columns: must be an array");
  if (data !== undefined && !Array.isArray(data)) throw new Error("data: must be an array");
  const cols = (columns ?? []).map((c: unknown, i: number) => {
    if (!isObject(c) || typeof c.name !== "string" || typeof c.type !== "string") {
      throw new Error(`columns[${i}]: must be an object with string "name" and "type"`);
    }
    return { name: c.name, type: c.type };
  });
  const rows = (data ?? []).map((row: unknown, i: number) => {
    if (!Array.isArray(row)) throw new Error(`data[${i}]: must be an array`);
    return row as Json[];
  });
  return { columns: cols, data: rows };
}

/** The result in `path`, undefined when the file does not exist; throws `invalid result.json: <reason>`. */
export async function readResultFile(path: string): Promise<Result | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`invalid result.json: ${(err as Error).message}`);
  }
  try {
    return toResult(JSON.parse(text));
  } catch (err) {
    throw new Error(`invalid result.json: ${(err as Error).message}`);
  }
}
