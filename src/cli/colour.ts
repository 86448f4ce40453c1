// ANSI colours for the CLI and the pretty server log: on a TTY only, off with NO_COLOR or --no-color;
// FORCE_COLOR (not "0") turns them on without a TTY (NO_COLOR and --no-color still win).

export interface Palette {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  magenta(s: string): string;
  cyan(s: string): string;
  /** A colour per slot (like `docker compose logs`), cycling through six. */
  slot(n: number, s: string): string;
  /** A job status in its colour (SUCCEEDED green, FAILED/KILLED red, RUNNING cyan, …). */
  status(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const SLOT_COLOURS = [36, 33, 32, 35, 34, 31];

/**
 * Whether to colour output written to `stream`. `flag` is commander's `--no-color` value (false when given).
 */
export function colourWanted(
  stream: { isTTY?: boolean },
  flag: boolean | undefined = undefined,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (flag === false) return false;
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined && force !== "" && force !== "0" && force !== "false") return true;
  return stream.isTTY === true && env["TERM"] !== "dumb";
}

export function palette(enabled: boolean): Palette {
  const id = (s: string) => s;
  const red = enabled ? sgr(31, 39) : id;
  const green = enabled ? sgr(32, 39) : id;
  const yellow = enabled ? sgr(33, 39) : id;
  const blue = enabled ? sgr(34, 39) : id;
  const magenta = enabled ? sgr(35, 39) : id;
  const cyan = enabled ? sgr(36, 39) : id;
  const byStatus: Record<string, (s: string) => string> = {
    SUCCEEDED: green,
    FAILED: red,
    KILLED: red,
    CANCELED: yellow,
    CANCELING: yellow,
    RUNNING: cyan,
    ACCEPTED: blue,
    NEW: blue,
  };
  return {
    enabled,
    bold: enabled ? sgr(1, 22) : id,
    dim: enabled ? sgr(2, 22) : id,
    red,
    green,
    yellow,
    blue,
    magenta,
    cyan,
    slot: (n, s) => (enabled ? sgr(SLOT_COLOURS[Math.abs(n) % SLOT_COLOURS.length] ?? 36, 39)(s) : s),
    status: (s) => (byStatus[s] ?? id)(s),
  };
}

/** The palette for the CLI's stdout or stderr, from the command's options (`color: false` = --no-color). */
export function paletteFor(stream: { isTTY?: boolean }, opts: { color?: boolean }): Palette {
  return palette(colourWanted(stream, opts.color));
}
