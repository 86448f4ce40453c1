// auth_header (spec 3.2): trusts one request header; only safe behind a proxy that strips client-supplied copies.
import type { HeaderAuth } from "../../config/index.ts";
import { headerValue, type IdentityProvider } from "./identity.ts";

export function headerProvider(auth: HeaderAuth): IdentityProvider {
  return {
    resolve: async (headers) => {
      const value = headerValue(headers, auth.header);
      return { user: value !== "" ? value : (auth.default_user ?? ""), groups: [] };
    },
  };
}
