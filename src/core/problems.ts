// Validation problems (spec D7): every validator — request bodies, configuration entries, plugin contexts —
// collects `{path, message}` problems in field order and fails once with all of them.
import { HeimdallError } from "./errors.ts";

/**
 * One validation problem. `path` locates the field (`status`, `attributes.gpu.kind`, `allowed_callers[2]`; "" for
 * the whole body) so that callers can point at it (the configuration finds the YAML line by it); `message` is the
 * complete text shown to the user, usually `<path>: <rule>`.
 */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** Collects problems; `throwIfAny` raises one BAD_REQUEST whose message joins them with "; " and carries the list. */
export class Problems {
  readonly list: Problem[] = [];

  /** The usual problem: `<path>: <rule>`. */
  add(path: string, rule: string): void {
    this.list.push({ path, message: `${path}: ${rule}` });
  }

  /** A problem about `path` whose text is given whole (`unknown status: paused`, the allowed_callers texts of 8.2). */
  addMessage(path: string, message: string): void {
    this.list.push({ path, message });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  get messages(): string[] {
    return this.list.map((p) => p.message);
  }

  /** Throws BAD_REQUEST with every problem's message joined by "; " (after `prefix` when given). */
  throwIfAny(prefix = ""): void {
    if (!this.empty) throw new HeimdallError("BAD_REQUEST", prefix + this.messages.join("; "), { problems: this.list });
  }
}

/** The top-level field a problem path starts with: `attributes` for `attributes.gpu.kind`, `tags` for `tags[3]`. */
export function topField(path: string): string {
  return /^[^.[]*/.exec(path)?.[0] ?? path;
}
