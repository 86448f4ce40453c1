// What an identity provider resolves a request to, and the fixed 401 messages (they name no reason).
import type { IncomingHttpHeaders } from "node:http";
import { HeimdallError } from "../../core/index.ts";

export interface Identity {
  /** "" = anonymous. */
  user: string;
  /** Groups from a verified token (`groups_claim`); [] otherwise. */
  groups: readonly string[];
}

export const ANONYMOUS: Identity = Object.freeze({ user: "", groups: Object.freeze([]) as readonly string[] });

/** The header in which an AWS Application Load Balancer passes the user's claims (a JWT signed with ES256). */
export const ALB_HEADER = "x-amzn-oidc-data";

export const MSG_NO_IDENTITY = "cannot identify caller -- access denied";
export const MSG_BAD_CREDENTIALS = "invalid credentials -- access denied";
export const MSG_KEYS_UNAVAILABLE = "cannot verify credentials right now -- try again later";

export interface IdentityProvider {
  /**
   * The identity of a request. Absent credentials → ANONYMOUS (GETs stay anonymous; POST/PUT answer 401).
   * Present but invalid credentials → HeimdallError UNAUTHENTICATED (MSG_BAD_CREDENTIALS) on every route;
   * keys that cannot be fetched → UNAVAILABLE. `reject` receives the real reason for the server log.
   */
  resolve(headers: IncomingHttpHeaders, reject: (reason: string) => void): Promise<Identity>;
}

/** A 401 for present-but-invalid credentials: the reason goes to the log only. */
export function badCredentials(reject: (reason: string) => void, reason: string): HeimdallError {
  reject(reason);
  return new HeimdallError("UNAUTHENTICATED", MSG_BAD_CREDENTIALS);
}

/** First value of a header. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const raw = headers[name.toLowerCase()];
  return (Array.isArray(raw) ? raw[0] : raw) ?? "";
}
