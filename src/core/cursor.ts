// List pagination (spec 3.5): query parsing and the base64 JSON cursor.
import type { Cursor, OrderBy, PageQuery } from "./types.ts";
import { badRequest } from "./errors.ts";

export const MAX_PAGE_LIMIT = 101;
const INVALID = "invalid pagination cursor";

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify({ v: c.v, i: c.i }), "utf8").toString("base64");
}

/** Decodes `next_cursor`; spaces become `+` (an unencoded cursor); invalid → BAD_REQUEST. */
export function decodeCursor(s: string, orderBy: OrderBy): Cursor {
  const b64 = s.replace(/ /g, "+");
  if (b64 === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 === 1) throw badRequest(INVALID);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(b64, "base64").toString("utf8"));
  } catch {
    throw badRequest(INVALID);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw badRequest(INVALID);
  const { v, i } = parsed as { v?: unknown; i?: unknown };
  if (!Number.isSafeInteger(i)) throw badRequest(INVALID);
  if (orderBy === "id") {
    // A NUL cannot be in any stored id (PostgreSQL text refuses it): invalid, as on every store.
    if (typeof v !== "string" || v.includes("\0")) throw badRequest(INVALID);
  } else if (!Number.isSafeInteger(v)) {
    throw badRequest(INVALID);
  }
  return { v: v as string | number, i: i as number };
}

function firstString(value: unknown): string | undefined {
  if (Array.isArray(value)) return firstString(value[0]);
  return typeof value === "string" ? value : undefined;
}

/** Reads `limit`, `order_by`, `direction` and `cursor` from a query object; only `cursor` can fail. */
export function parsePageQuery(q: Record<string, unknown>): PageQuery {
  const limitRaw = firstString(q["limit"]);
  let limit = MAX_PAGE_LIMIT;
  if (limitRaw !== undefined && /^\+?\d+$/.test(limitRaw)) {
    const n = Number(limitRaw);
    if (n > 0) limit = Math.min(n, MAX_PAGE_LIMIT);
  }
  const ob = firstString(q["order_by"]);
  const order_by: OrderBy = ob === "id" || ob === "created_at" || ob === "updated_at" ? ob : "seq";
  const direction = firstString(q["direction"])?.toLowerCase() === "asc" ? "asc" : "desc";
  const page: PageQuery = { limit, order_by, direction };
  const cursor = firstString(q["cursor"]);
  if (cursor !== undefined && cursor !== "") page.cursor = decodeCursor(cursor, order_by);
  return page;
}
