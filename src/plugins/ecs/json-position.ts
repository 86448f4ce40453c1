// Where a JSON text stops being valid: the offset of the first syntax error, as line and column. Used to report a
// template file that is not JSON without echoing any of its content (JSON.parse messages quote the text).

const WS = new Set([" ", "\t", "\n", "\r"]);
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);
const HEX = /^[0-9a-fA-F]$/;
const LITERALS = ["true", "false", "null"];

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

/** Offset of the first JSON syntax error in `s` (`s.length` for an unexpected end), or -1 when `s` is valid JSON. */
export function jsonErrorOffset(s: string): number {
  const n = s.length;
  let i = 0;
  const ws = (): void => {
    while (i < n && WS.has(s[i]!)) i++;
  };
  /** A string starting at s[i] === '"'; false with i at the offending character. */
  const str = (): boolean => {
    i++;
    while (i < n) {
      const c = s[i]!;
      if (c === '"') {
        i++;
        return true;
      }
      if (c < " ") return false;
      if (c === "\\") {
        const e = s[i + 1];
        if (e === undefined) {
          i++;
          return false;
        }
        if (ESCAPES.has(e)) i += 2;
        else if (e === "u") {
          for (let k = 2; k < 6; k++) {
            if (!HEX.test(s[i + k] ?? "")) {
              i += k;
              return false;
            }
          }
          i += 6;
        } else {
          i++;
          return false;
        }
        continue;
      }
      i++;
    }
    return false;
  };
  const digits = (): boolean => {
    if (!isDigit(s[i])) return false;
    while (isDigit(s[i])) i++;
    return true;
  };
  const num = (): boolean => {
    if (s[i] === "-") i++;
    if (s[i] === "0") i++;
    else if (!digits()) return false;
    if (s[i] === ".") {
      i++;
      if (!digits()) return false;
    }
    if (s[i] === "e" || s[i] === "E") {
      i++;
      if (s[i] === "+" || s[i] === "-") i++;
      if (!digits()) return false;
    }
    return true;
  };
  const literal = (): boolean => {
    const lit = LITERALS.find((l) => l[0] === s[i]);
    if (lit === undefined) return false;
    for (let k = 0; k < lit.length; k++, i++) if (s[i] !== lit[k]) return false;
    return true;
  };
  /** `"key" :` of an object member; false with i at the offending character. */
  const key = (): boolean => {
    ws();
    if (s[i] !== '"' || !str()) return false;
    ws();
    if (s[i] !== ":") return false;
    i++;
    return true;
  };
  const at = (): number => Math.min(i, n);

  const stack: string[] = [];
  let expectValue = true;
  for (;;) {
    ws();
    if (expectValue) {
      if (i >= n) return n;
      const c = s[i]!;
      if (c === "{" || c === "[") {
        i++;
        ws();
        if (s[i] === (c === "{" ? "}" : "]")) {
          i++;
          expectValue = false;
          continue;
        }
        stack.push(c);
        if (c === "{" && !key()) return at();
        continue;
      }
      const ok = c === '"' ? str() : c === "-" || isDigit(c) ? num() : literal();
      if (!ok) return at();
      expectValue = false;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return i >= n ? -1 : i;
    if (i >= n) return n;
    const c = s[i];
    if (c === ",") {
      i++;
      if (top === "{" && !key()) return at();
      expectValue = true;
    } else if (c === (top === "{" ? "}" : "]")) {
      stack.pop();
      i++;
    } else return i;
  }
}

/** 1-based line and column (in characters) of `offset` in `s`. */
export function lineColumn(s: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let k = 0; k < offset && k < s.length; k++) {
    if (s[k] === "\n") {
      line++;
      start = k + 1;
    }
  }
  return { line, column: [...s.slice(start, offset)].length + 1 };
}
