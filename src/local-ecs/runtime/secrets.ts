// Container `secrets` (Secrets Manager / SSM Parameter Store) and `environmentFiles` (S3 objects) resolved from
// the local ECS settings: `secrets: {<arn or name>: value}`, `environmentFiles: {<s3 arn>: <local path>}`.
import { readFile } from "node:fs/promises";
import type { TaskRecord } from "../ecs/model.ts";
import type { LocalEcsSettings } from "../settings.ts";

export class ResolveError extends Error {
  override name = "ResolveError";
}

const SM_RE = /^(arn:aws[a-z-]*:secretsmanager:[^:]*:[^:]*:secret:([^:]+))(?::([^:]*)(?::([^:]*)(?::([^:]*))?)?)?$/;
const SSM_RE = /^arn:aws[a-z-]*:ssm:[^:]*:[^:]*:parameter(\/.*)$/;

/** The value of one `valueFrom`: a Secrets Manager secret (optionally one JSON key of it) or an SSM parameter. */
export function resolveSecret(settings: LocalEcsSettings, valueFrom: string): string {
  const known = settings.secrets;
  if (valueFrom in known) return known[valueFrom]!;
  const sm = SM_RE.exec(valueFrom);
  if (sm) {
    const [, base, name, jsonKey] = sm;
    // Keys may be the secret's ARN, its ARN without the 6-character suffix, or its name.
    const bare = name!.replace(/-[A-Za-z0-9]{6}$/, "");
    const candidates = [base!, base!.slice(0, base!.length - name!.length) + bare, name!, bare];
    const key = candidates.find((k) => k in known);
    if (key === undefined)
      throw new ResolveError(
        `unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${valueFrom} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.`,
      );
    const value = known[key]!;
    if (!jsonKey) return value;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new ResolveError(
        `unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: secret ${valueFrom}: the secret value is not a JSON object`,
      );
    }
    const v = parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>)[jsonKey] : undefined;
    if (v === undefined)
      throw new ResolveError(
        `unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: retrieved secret from Secrets Manager did not contain json key ${jsonKey}`,
      );
    return typeof v === "string" ? v : JSON.stringify(v);
  }
  const ssm = SSM_RE.exec(valueFrom);
  const names = ssm ? [ssm[1]!, ssm[1]!.slice(1)] : [valueFrom.startsWith("/") ? valueFrom.slice(1) : `/${valueFrom}`];
  const key = names.find((k) => k in known);
  if (key !== undefined) return known[key]!;
  throw new ResolveError(
    `unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid parameters: ${ssm ? ssm[1]!.slice(1) : valueFrom}`,
  );
}

/** KEY=VALUE lines; blank lines and lines starting with # are ignored (the ECS env-file format). */
export function parseEnvFile(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    out.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return out;
}

/**
 * Adds environment files (lowest precedence: the definition's `environment` wins) and secrets (highest) to every
 * container of the task. Returns a ResourceInitializationError reason when a reference does not resolve.
 */
export async function resolveTaskEnvironment(settings: LocalEcsSettings, task: TaskRecord): Promise<string | undefined> {
  try {
    for (const c of task.containers) {
      const spec = c.spec ?? {};
      const fromFiles: Record<string, string> = {};
      for (const f of spec.environmentFiles ?? []) {
        const path = settings.environmentFiles[f.value];
        if (path === undefined)
          throw new ResolveError(
            `failed to download env files: file download command: non empty error stream: service call has been retried 5 time(s): AccessDenied: Access Denied (no environmentFiles entry for ${f.value})`,
          );
        let text: string;
        try {
          text = await readFile(path, "utf8");
        } catch (e) {
          throw new ResolveError(`failed to download env files: ${f.value} → ${path}: ${(e as Error).message}`);
        }
        for (const [k, v] of parseEnvFile(text)) fromFiles[k] = v;
      }
      c.env = { ...fromFiles, ...c.env };
      for (const s of spec.secrets ?? []) c.env[s.name] = resolveSecret(settings, s.valueFrom);
    }
    return undefined;
  } catch (e) {
    if (e instanceof ResolveError) return `ResourceInitializationError: ${e.message}`;
    throw e;
  }
}
