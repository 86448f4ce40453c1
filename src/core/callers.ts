// allowed_callers (spec 8.2): RE2 patterns combined into one anchored, linear-time matcher.
import { RE2JS } from "re2js";
import { badRequest } from "./errors.ts";

/** `groups`: the caller's verified groups, matched by the `group:<pattern>` entries. */
export type CallerMatcher = (identity: string, groups?: readonly string[]) => boolean;

/** Entries naming groups: `group:<RE2 pattern>`, matched against each of the caller's groups, not the identity. */
export const GROUP_PREFIX = "group:";

const allowAll: CallerMatcher = () => true;

/** Why a pattern does not compile, in RE2's words (`missing closing )`). */
function compileReason(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { error?: unknown; message?: unknown };
    if (typeof e.error === "string" && e.error !== "") return e.error;
    if (typeof e.message === "string") return e.message.replace(/^error parsing regexp: /, "");
  }
  return String(err);
}

/**
 * Validates and compiles a command's allowed_callers. Empty list → everyone is allowed.
 * Throws BAD_REQUEST with the messages of 8.2.
 */
export function compileCallers(commandId: string, patterns: readonly string[]): CallerMatcher {
  if (patterns.length === 0) return allowAll;
  for (const p of patterns) {
    if (p.trim() === "") throw badRequest(`command ${commandId}: allowed_callers contains empty pattern`);
    try {
      // Each pattern alone must compile, so that a pattern cannot break out of its group.
      RE2JS.compile(p);
    } catch (err) {
      throw badRequest(`command ${commandId}: invalid allowed_callers pattern "${p}": ${compileReason(err)}`);
    }
  }
  const users = patterns.filter((p) => !p.startsWith(GROUP_PREFIX));
  const groups = patterns.filter((p) => p.startsWith(GROUP_PREFIX)).map((p) => p.slice(GROUP_PREFIX.length));
  if (groups.some((g) => g.trim() === "")) throw badRequest(`command ${commandId}: allowed_callers contains empty pattern`);
  const combine = (list: string[]): RE2JS | undefined => {
    if (list.length === 0) return undefined;
    try {
      return RE2JS.compile(`^(?:${list.map((p) => `(?:${p})`).join("|")})$`);
    } catch (err) {
      throw badRequest(`command ${commandId}: invalid allowed_callers pattern "${list.join("|")}": ${compileReason(err)}`);
    }
  };
  const userRe = combine(users);
  const groupRe = combine(groups);
  return (identity: string, callerGroups: readonly string[] = []) =>
    (userRe?.matches(identity) ?? false) || (groupRe !== undefined && callerGroups.some((g) => groupRe.matches(g)));
}
