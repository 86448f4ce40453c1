// Who may do what: auth.admins, auth.job_cancel (anyone | owner), auth.registry_write (anyone | admins).
import type { AuthPolicy } from "../../config/index.ts";
import { HeimdallError } from "../../core/index.ts";
import type { Identity } from "./identity.ts";

export const MSG_NOT_OWNER = "only the job's owner or an admin may cancel this job";
export const MSG_NOT_ADMIN = "only admins may change commands and clusters";

/** True when the identity is listed in `admins` by name or by one of its groups (`group:<name>`). */
export function isAdmin(policy: AuthPolicy | undefined, id: Identity): boolean {
  const admins = policy?.admins ?? [];
  if (id.user === "" || admins.length === 0) return false;
  return admins.includes(id.user) || id.groups.some((g) => admins.includes(`group:${g}`));
}

/** 403 unless the caller may cancel a job of `owner`. */
export function checkCancel(policy: AuthPolicy | undefined, id: Identity, owner: string, jobId: string): void {
  if ((policy?.job_cancel ?? "anyone") === "anyone") return;
  if (id.user === owner || isAdmin(policy, id)) return;
  throw new HeimdallError("FORBIDDEN", MSG_NOT_OWNER, { jobId });
}

/** 403 unless the caller may PUT commands, clusters and their status. */
export function checkRegistryWrite(policy: AuthPolicy | undefined, id: Identity): void {
  if ((policy?.registry_write ?? "anyone") === "anyone") return;
  if (isAdmin(policy, id)) return;
  throw new HeimdallError("FORBIDDEN", MSG_NOT_ADMIN);
}
