// Identity providers (auth_header, jwt, aws_alb) and the owner/admin checks used by the routes.
import type { AuthConfig } from "../../config/index.ts";
import { headerProvider } from "./header.ts";
import { ANONYMOUS, type IdentityProvider } from "./identity.ts";

export type { Identity, IdentityProvider } from "./identity.ts";
export { ANONYMOUS, MSG_NO_IDENTITY } from "./identity.ts";
export { checkCancel, checkRegistryWrite } from "./access.ts";

type Log = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };

/**
 * A provider whose module is imported at once but off the start-up path: the token providers load jose (about
 * 180 modules), which a server with header identities never needs. Requests wait for the import.
 */
function loadedProvider(load: () => Promise<IdentityProvider>): IdentityProvider {
  const provider = load();
  provider.catch(() => {}); // the failure is reported by the requests that await it
  return { resolve: async (headers, reject) => (await provider).resolve(headers, reject) };
}

/** The provider of an `auth` section; no section → every caller is anonymous. */
export function identityProvider(auth: AuthConfig | undefined, log: Log): IdentityProvider {
  if (auth === undefined) return { resolve: async () => ANONYMOUS };
  switch (auth.plugin) {
    case "jwt":
      return loadedProvider(async () => (await import("./jwt.ts")).jwtProvider(auth, log));
    case "aws_alb":
      return loadedProvider(async () => (await import("./alb.ts")).albProvider(auth));
    default:
      return headerProvider(auth);
  }
}
