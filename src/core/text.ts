// String helpers shared by the domain layer: Unicode-aware lengths and code-point ordering.

/** Length in Unicode characters (code points), as the spec counts lengths. */
export function charLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low surrogate is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Truncates to at most `max` code points without splitting a surrogate pair. */
export function truncateChars(s: string, max: number): string {
  if (s.length <= max) return s;
  let out = "";
  let n = 0;
  for (const ch of s) {
    if (n === max) break;
    out += ch;
    n++;
  }
  return out;
}

/**
 * Compares two strings by Unicode code point (equal to UTF-8 byte order). Plain `<` compares UTF-16 code
 * units, which orders supplementary characters (surrogates, 0xD800–0xDFFF) before U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only when both differ inside the BMP-vs-surrogate zone does UTF-16 order disagree with code points.
    return remap(x) - remap(y);
  }
  return a.length - b.length;
}

// Surrogates (0xD800–0xDFFF) move above 0xE000–0xFFFF so that supplementary characters sort last.
function remap(c: number): number {
  if (c >= 0xd800 && c <= 0xdfff) return c + 0x2000;
  if (c >= 0xe000) return c - 0x800;
  return c;
}

/** True when the string contains a C0/C1 control character or DEL. */
export function hasControlChars(s: string): boolean {
  return /[\u0000-\u001f\u007f-\u009f]/.test(s);
}
