// Plain-text output of the CLI: aligned tables and key/value blocks.

function cell(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/** Formats epoch seconds as UTC `YYYY-MM-DD HH:mm:ss`. */
export function formatTime(v: unknown): string {
  if (typeof v !== "number") return "";
  return new Date(v * 1000).toISOString().replace("T", " ").slice(0, 19);
}

export function table(headers: string[], rows: unknown[][]): string {
  const text = rows.map((r) => headers.map((_, i) => cell(r[i])));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? "").length)));
  const line = (cols: string[]) =>
    cols
      .map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...text.map(line)].join("\n") + "\n";
}

/** `key: value` lines, skipping absent values; objects and arrays are shown as compact JSON. */
export function keyValues(obj: Record<string, unknown>, timeKeys: readonly string[] = ["created_at", "updated_at"]): string {
  const keys = Object.keys(obj);
  const width = Math.max(0, ...keys.map((k) => k.length));
  return (
    keys
      .filter((k) => obj[k] !== undefined && obj[k] !== null)
      .map((k) => `${`${k}:`.padEnd(width + 2)}${timeKeys.includes(k) ? formatTime(obj[k]) : cell(obj[k])}`)
      .join("\n") + "\n"
  );
}
