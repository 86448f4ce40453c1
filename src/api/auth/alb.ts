// auth.plugin aws_alb: the `x-amzn-oidc-data` header an AWS Application Load Balancer with OIDC authentication
// adds — an ES256 JWT whose PEM public key is at `<key_url>/<kid>`, signed by the load balancer named in the
// `signer` header. ALB tokens may carry base64 padding; jose accepts it.
import { decodeProtectedHeader, importSPKI, jwtVerify, type CryptoKey } from "jose";
import type { AlbAuth } from "../../config/index.ts";
import { HeimdallError } from "../../core/index.ts";
import { identityOf } from "./claims.ts";
import { fetchKeyText, KeyFetchError } from "./fetch.ts";
import { ALB_HEADER, ANONYMOUS, badCredentials, headerValue, MSG_KEYS_UNAVAILABLE, type IdentityProvider } from "./identity.ts";
import { refusal } from "./jwt.ts";

const KID = /^[A-Za-z0-9._-]{1,128}$/;
const MAX_KEYS = 64;
/** Unknown kids fetched per minute at most (a forged header must not turn the server into a key-fetch pump). */
const MAX_FETCHES_PER_MINUTE = 20;

class AlbKeys {
  private readonly keys = new Map<string, Promise<CryptoKey>>();
  private recent: number[] = [];
  constructor(private readonly auth: AlbAuth) {}

  get(kid: string): Promise<CryptoKey> {
    const cached = this.keys.get(kid);
    if (cached !== undefined) return cached;
    const now = Date.now();
    this.recent = this.recent.filter((t) => now - t < 60_000);
    if (this.recent.length >= MAX_FETCHES_PER_MINUTE)
      return Promise.reject(new KeyFetchError("too many unknown kids in the last minute", true));
    this.recent.push(now);
    const p = fetchKeyText(`${this.auth.key_url}/${encodeURIComponent(kid)}`, this.auth.fetch_timeout * 1000).then((pem) =>
      importSPKI(pem.trim(), "ES256"),
    );
    if (this.keys.size >= MAX_KEYS) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(kid, p);
    // Failed fetches are forgotten so that the next request tries again.
    p.catch(() => this.keys.delete(kid));
    return p;
  }
}

export function albProvider(auth: AlbAuth): IdentityProvider {
  const keys = new AlbKeys(auth);
  return {
    resolve: async (headers, reject) => {
      const token = headerValue(headers, ALB_HEADER).trim();
      if (token === "") return ANONYMOUS;
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        throw badCredentials(reject, `${ALB_HEADER}: not a JWT`);
      }
      if (header.alg !== "ES256") throw badCredentials(reject, `${ALB_HEADER}: alg ${String(header.alg)} is not ES256`);
      if (header["signer"] !== auth.signer)
        throw badCredentials(reject, `${ALB_HEADER}: signer ${String(header["signer"])} is not the configured load balancer`);
      if (typeof header.kid !== "string" || !KID.test(header.kid)) throw badCredentials(reject, `${ALB_HEADER}: missing or malformed kid`);
      let key: CryptoKey;
      try {
        key = await keys.get(header.kid);
      } catch (err) {
        if (err instanceof KeyFetchError && err.permanent)
          throw badCredentials(reject, `${ALB_HEADER}: no public key for kid ${header.kid}: ${err.message}`);
        reject(`${ALB_HEADER}: public key for kid ${header.kid} unavailable: ${(err as Error).message}`);
        throw new HeimdallError("UNAVAILABLE", MSG_KEYS_UNAVAILABLE);
      }
      try {
        const opts: Parameters<typeof jwtVerify>[2] = { algorithms: ["ES256"], clockTolerance: auth.clock_skew, requiredClaims: ["exp"] };
        if (auth.issuer.length > 0) opts.issuer = auth.issuer;
        const { payload } = await jwtVerify(token, key, opts);
        const id = identityOf(payload, auth);
        if (typeof id === "string") throw badCredentials(reject, id);
        return id;
      } catch (err) {
        if (err instanceof HeimdallError) throw err;
        throw badCredentials(reject, refusal(err));
      }
    },
  };
}
