// auth.plugin jwt: `Authorization: Bearer <JWT>` verified against a JWKS — signature (RS256/ES256 only, never
// `none` or HMAC), iss, aud, exp (required), nbf, with a small clock skew. X-Heimdall-User is ignored.
import type { IncomingHttpHeaders } from "node:http";
import { errors, jwtVerify } from "jose";
import type { JwtAuth } from "../../config/index.ts";
import { HeimdallError } from "../../core/index.ts";
import { identityOf } from "./claims.ts";
import { ANONYMOUS, badCredentials, headerValue, MSG_KEYS_UNAVAILABLE, type IdentityProvider } from "./identity.ts";
import { JwksStore, KeysUnavailableError } from "./jwks.ts";

/** The bearer token of a request: undefined when there is no Authorization header, "" when it is not a bearer one. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headerValue(headers, "authorization").trim();
  if (value === "") return undefined;
  const m = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]+)$/i.exec(value);
  return m?.[1] ?? "";
}

/** Why jose refused a token, in words for the server log. */
export function refusal(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "token expired";
  if (err instanceof errors.JWTClaimValidationFailed) return `claim ${err.claim}: ${err.reason} (${err.message})`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return "signature does not verify";
  if (err instanceof errors.JWKSNoMatchingKey) return "no key in the key set matches the token's kid/alg";
  if (err instanceof errors.JOSEAlgNotAllowed) return "algorithm not allowed";
  if (err instanceof errors.JOSEError) return `${err.code}: ${err.message}`;
  return (err as Error).message;
}

export function jwtProvider(
  auth: JwtAuth,
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void },
): IdentityProvider & { keys: JwksStore } {
  const keys = new JwksStore(auth, ({ loads, error }) => {
    if (error !== undefined) log.warn({ error }, "auth jwt: loading the JWKS failed");
    else log.info({ loads }, "auth jwt: JWKS loaded");
  });
  return {
    keys,
    resolve: async (headers, reject) => {
      const token = bearerToken(headers);
      if (token === undefined) return ANONYMOUS;
      if (token === "") throw badCredentials(reject, "Authorization header is not a Bearer token");
      try {
        const { payload } = await jwtVerify(token, keys.resolver, {
          algorithms: auth.algorithms,
          issuer: auth.issuer,
          audience: auth.audience,
          clockTolerance: auth.clock_skew,
          requiredClaims: ["exp"],
        });
        const id = identityOf(payload, auth);
        if (typeof id === "string") throw badCredentials(reject, id);
        return id;
      } catch (err) {
        if (err instanceof HeimdallError) throw err;
        if (err instanceof KeysUnavailableError) {
          reject(err.message);
          throw new HeimdallError("UNAVAILABLE", MSG_KEYS_UNAVAILABLE);
        }
        throw badCredentials(reject, refusal(err));
      }
    },
  };
}
