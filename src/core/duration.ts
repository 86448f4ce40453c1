// Duration strings (spec 10.4), Go time.ParseDuration syntax, nanosecond precision as bigint.
import { badRequest } from "./errors.ts";

export const NANOSECOND = 1n;
export const MICROSECOND = 1000n;
export const MILLISECOND = 1_000_000n;
export const SECOND = 1_000_000_000n;
export const MINUTE = 60n * SECOND;
export const HOUR = 60n * MINUTE;

const UNITS: Record<string, bigint> = {
  ns: NANOSECOND,
  us: MICROSECOND,
  "\u00b5s": MICROSECOND, // µ micro sign
  "\u03bcs": MICROSECOND, // μ Greek mu
  ms: MILLISECOND,
  s: SECOND,
  m: MINUTE,
  h: HOUR,
};

const MAX_NS = (1n << 63n) - 1n;

/** Parses a Go duration string; returns undefined when it is not one (syntax or overflow). */
export function tryParseDuration(s: string): bigint | undefined {
  let i = 0;
  let negative = false;
  if (s[0] === "+" || s[0] === "-") {
    negative = s[0] === "-";
    i = 1;
  }
  if (s.slice(i) === "0") return 0n;
  if (i >= s.length) return undefined;
  let total = 0n;
  while (i < s.length) {
    // number = digits [ "." [ digits ] ] | "." digits
    const intStart = i;
    while (i < s.length && isDigit(s[i]!)) i++;
    const intDigits = s.slice(intStart, i);
    let fracDigits = "";
    if (s[i] === ".") {
      i++;
      const fracStart = i;
      while (i < s.length && isDigit(s[i]!)) i++;
      fracDigits = s.slice(fracStart, i);
    }
    if (intDigits === "" && fracDigits === "") return undefined;
    const unitStart = i;
    while (i < s.length && s[i] !== "." && !isDigit(s[i]!)) i++;
    const unit = UNITS[s.slice(unitStart, i)];
    if (unit === undefined) return undefined;
    let v = BigInt(intDigits === "" ? "0" : intDigits) * unit;
    if (fracDigits !== "") v += (BigInt(fracDigits) * unit) / 10n ** BigInt(fracDigits.length);
    total += v;
    if (total > MAX_NS + 1n) return undefined;
  }
  if (!negative && total > MAX_NS) return undefined;
  return negative ? -total : total;
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

/**
 * Parses a duration value from a context. Strings must follow 10.4; anything else (numbers included) is
 * rejected. Errors are BAD_REQUEST `<path>: invalid duration "<v>"` / `<path>: must be a duration string such as "30s"`.
 */
export function parseDuration(value: unknown, path: string): bigint {
  if (typeof value !== "string") throw badRequest(`${path}: must be a duration string such as "30s"`);
  const ns = tryParseDuration(value);
  if (ns === undefined) throw badRequest(`${path}: invalid duration "${value}"`);
  return ns;
}

/** Milliseconds (possibly fractional) for timers. */
export function durationMs(ns: bigint): number {
  return Number(ns) / 1_000_000;
}

/** Go's Duration.String(): "0s", "1.5ms", "2µs", "1h0m0s", "1m30s", "-1.5s". */
export function formatDuration(ns: bigint): string {
  if (ns === 0n) return "0s";
  const sign = ns < 0n ? "-" : "";
  const u = ns < 0n ? -ns : ns;
  if (u < SECOND) {
    if (u < MICROSECOND) return `${sign}${u}ns`;
    if (u < MILLISECOND) return `${sign}${withFraction(u, MICROSECOND)}µs`;
    return `${sign}${withFraction(u, MILLISECOND)}ms`;
  }
  const hours = u / HOUR;
  const minutes = (u % HOUR) / MINUTE;
  const seconds = withFraction(u % MINUTE, SECOND);
  let out = sign;
  if (hours > 0n) out += `${hours}h`;
  if (hours > 0n || minutes > 0n) out += `${minutes}m`;
  return `${out}${seconds}s`;
}

/** `value / unit` as a decimal with trailing zeros of the fraction removed. */
function withFraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return String(whole);
  const width = String(unit).length - 1;
  const frac = String(rest).padStart(width, "0").replace(/0+$/, "");
  return `${whole}.${frac}`;
}
