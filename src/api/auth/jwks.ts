// A JWKS (from a URL or a file), cached for `jwks_cache` seconds and reloaded early when a token names an
// unknown `kid` — at most once per `jwks_cooldown` seconds, so forged kids cannot make the server hammer the IdP.
import { readFile } from "node:fs/promises";
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from "jose";
import type { JwtAuth } from "../../config/index.ts";
import { fetchKeyText } from "./fetch.ts";

type LocalSet = ReturnType<typeof createLocalJWKSet>;
export type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => ReturnType<LocalSet>;

export class KeysUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KeysUnavailableError";
  }
}

function parseJwks(text: string, where: string): JSONWebKeySet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new KeysUnavailableError(`${where}: not JSON: ${(err as Error).message}`);
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new KeysUnavailableError(`${where}: not a JWK set (no "keys" array)`);
  return doc as JSONWebKeySet;
}

export class JwksStore {
  private set: LocalSet | undefined;
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  /** Number of completed loads (for logs and tests). */
  loads = 0;

  constructor(
    private readonly auth: Pick<JwtAuth, "jwks_url" | "jwks_file" | "jwks_cache" | "jwks_cooldown" | "fetch_timeout">,
    private readonly onReload: (info: { loads: number; error?: string }) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  private async load(): Promise<void> {
    const where = this.auth.jwks_url ?? this.auth.jwks_file ?? "<no jwks>";
    try {
      const text =
        this.auth.jwks_url !== undefined
          ? await fetchKeyText(this.auth.jwks_url, this.auth.fetch_timeout * 1000)
          : await readFile(this.auth.jwks_file ?? "", "utf8");
      this.set = createLocalJWKSet(parseJwks(text, where));
      this.loads++;
      this.onReload({ loads: this.loads });
    } catch (err) {
      this.onReload({ loads: this.loads, error: (err as Error).message });
      // An old key set stays in use when a reload fails.
      if (this.set === undefined)
        throw err instanceof KeysUnavailableError ? err : new KeysUnavailableError(`${where}: ${(err as Error).message}`, { cause: err });
    } finally {
      this.loadedAt = this.now();
    }
  }

  /** One load at a time; concurrent callers share it. */
  private reload(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** The key for a token (jose's key-resolver signature). */
  readonly resolver: KeyResolver = async (header, token) => {
    if (this.set === undefined || this.now() - this.loadedAt >= this.auth.jwks_cache * 1000) await this.reload();
    try {
      return await this.set!(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      if (this.now() - this.loadedAt < this.auth.jwks_cooldown * 1000) throw err;
      await this.reload();
      return await this.set!(header, token);
    }
  };
}
