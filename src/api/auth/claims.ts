// Identity and groups from a verified token's claims (`user_claim`, `groups_claim`).
import type { JWTPayload } from "jose";
import type { TokenChecks } from "../../config/index.ts";
import type { Identity } from "./identity.ts";

/** Reads a claim by name; a dotted name (`realm_access.roles`) walks into objects when no flat claim has it. */
function claim(payload: JWTPayload, name: string): unknown {
  if (name in payload) return payload[name];
  let cur: unknown = payload;
  for (const part of name.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** The identity of verified claims, or a reason (for the log) why there is none. */
export function identityOf(payload: JWTPayload, checks: TokenChecks): Identity | string {
  const user = claim(payload, checks.user_claim);
  if (typeof user !== "string" || user.trim() === "") return `claim ${checks.user_claim} is missing or not a non-empty string`;
  let groups: string[] = [];
  if (checks.groups_claim !== undefined) {
    const g = claim(payload, checks.groups_claim);
    if (typeof g === "string") groups = g.split(/[\s,]+/).filter((x) => x !== "");
    else if (Array.isArray(g)) groups = g.filter((x): x is string => typeof x === "string" && x !== "");
  }
  return { user, groups };
}
