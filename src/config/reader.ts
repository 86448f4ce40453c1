// Position-aware access to a parsed YAML document, so that configuration errors name file, line and key.
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from "yaml";
import type { Problem } from "../core/index.ts";

/** A configuration problem: core's `{path, message}` (path = dotted key path, "" for the whole file) and its line. */
export interface LocatedProblem extends Problem {
  readonly line: number | undefined;
}

/** Collects errors and warnings as problems; renders them as `<source>:<line>: <key>: <problem>`. */
export class Diagnostics {
  readonly errorProblems: LocatedProblem[] = [];
  readonly warningProblems: LocatedProblem[] = [];
  constructor(
    readonly source: string,
    private readonly lc: LineCounter | undefined,
  ) {}

  lineOf(node: { range?: [number, number, number] | null } | null | undefined): number | undefined {
    const offset = node?.range?.[0];
    if (offset === undefined || this.lc === undefined) return undefined;
    return this.lc.linePos(offset).line;
  }

  private render(p: LocatedProblem): string {
    return `${p.line === undefined ? `${this.source}: ` : `${this.source}:${p.line}: `}${p.message}`;
  }

  get errors(): string[] {
    return this.errorProblems.map((p) => this.render(p));
  }

  get warnings(): string[] {
    return this.warningProblems.map((p) => this.render(p));
  }

  /** The usual error: `<path>: <rule>`. */
  error(line: number | undefined, path: string, rule: string): void {
    this.errorProblems.push({ path, message: `${path}: ${rule}`, line });
  }

  /** An error about `path` whose text is given whole. */
  errorText(line: number | undefined, path: string, message: string): void {
    this.errorProblems.push({ path, message, line });
  }

  warn(line: number | undefined, path: string, rule: string): void {
    this.warningProblems.push({ path, message: `${path}: ${rule}`, line });
  }
}

/** One value of a mapping: its JS value (undefined when absent or null), line and YAML node. */
export interface Entry {
  key: string;
  path: string;
  value: unknown;
  line: number | undefined;
  node: Node | null | undefined;
}

/** A YAML mapping seen through its dotted key path (`janitor`, `commands[0]`, …). */
export class MapView {
  private readonly pairs = new Map<string, Pair>();
  constructor(
    readonly doc: Document,
    readonly diag: Diagnostics,
    readonly path: string,
    readonly node: YAMLMap | undefined,
    readonly line: number | undefined,
  ) {
    for (const pair of node?.items ?? []) {
      const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      this.pairs.set(k, pair as Pair);
    }
  }

  get present(): boolean {
    return this.node !== undefined;
  }

  keyPath(key: string): string {
    return this.path === "" ? key : `${this.path}.${key}`;
  }

  has(key: string): boolean {
    const p = this.pairs.get(key);
    return p !== undefined && !(isScalar(p.value) && p.value.value === null) && p.value !== null;
  }

  get(key: string): Entry {
    const pair = this.pairs.get(key);
    const node = (pair?.value ?? undefined) as Node | null | undefined;
    const line = this.diag.lineOf(pair?.key as Node | undefined) ?? this.line;
    let value: unknown = undefined;
    if (node !== undefined && node !== null) value = node.toJS(this.doc);
    if (value === null) value = undefined;
    return { key, path: this.keyPath(key), value, line, node };
  }

  /** A nested mapping; a non-mapping value is reported and treated as absent. */
  child(key: string): MapView {
    const e = this.get(key);
    if (e.node !== undefined && e.node !== null && !isMap(e.node)) {
      if (e.value !== undefined) this.diag.error(e.line, e.path, "must be a mapping");
      return new MapView(this.doc, this.diag, e.path, undefined, e.line);
    }
    return new MapView(this.doc, this.diag, e.path, (e.node ?? undefined) as YAMLMap | undefined, e.line);
  }

  /** Items of a sequence value, each with its own line. */
  sequence(key: string): { path: string; node: Node | null; line: number | undefined }[] {
    const e = this.get(key);
    if (e.node === undefined || e.node === null || e.value === undefined) return [];
    if (!isSeq(e.node)) {
      this.diag.error(e.line, e.path, "must be a list");
      return [];
    }
    return e.node.items.map((item, i) => ({
      path: `${e.path}[${i}]`,
      node: item as Node | null,
      line: this.diag.lineOf(item as Node) ?? e.line,
    }));
  }

  /** Warns about keys that are not known; `ignored` keys get their own explanation. */
  checkKeys(known: readonly string[], ignored: Record<string, string> = {}): void {
    for (const [k, pair] of this.pairs) {
      if (known.includes(k)) continue;
      const line = this.diag.lineOf(pair.key as Node);
      const reason = ignored[k];
      if (reason !== undefined) this.diag.warn(line, this.keyPath(k), reason);
      else this.diag.warn(line, this.keyPath(k), "unknown key, ignored");
    }
  }
}
