// Identity providers (auth_header, jwt, aws_alb) and the owner/admin checks used by the routes.
import type { AuthConfig } from "../../config/index.ts";
import { albProvider } from "./alb.ts";
import { headerProvider } from "./header.ts";
import { ANONYMOUS, type IdentityProvider } from "./identity.ts";
import { jwtProvider } from "./jwt.ts";

export type { Identity, IdentityProvider } from "./identity.ts";
export { ANONYMOUS, MSG_BAD_CREDENTIALS, MSG_NO_IDENTITY } from "./identity.ts";
export { checkCancel, checkRegistryWrite, isAdmin, MSG_NOT_ADMIN, MSG_NOT_OWNER } from "./access.ts";
export { ALB_HEADER } from "./alb.ts";

type Log = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };

/** The provider of an `auth` section; no section → every caller is anonymous. */
export function identityProvider(auth: AuthConfig | undefined, log: Log): IdentityProvider {
  if (auth === undefined) return { resolve: async () => ANONYMOUS };
  switch (auth.plugin) {
    case "jwt":
      return jwtProvider(auth, log);
    case "aws_alb":
      return albProvider(auth);
    default:
      return headerProvider(auth);
  }
}
