// allowed_callers (spec 8.2): RE2 patterns combined into one anchored, linear-time matcher.
import { RE2JS } from "re2js";
import { badRequest } from "./errors.ts";

export type CallerMatcher = (identity: string) => boolean;

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
  const source = `^(?:${patterns.map((p) => `(?:${p})`).join("|")})$`;
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    throw badRequest(`command ${commandId}: invalid allowed_callers pattern "${patterns.join("|")}": ${compileReason(err)}`);
  }
  return (identity: string) => re.matches(identity);
}
