// The AWS SDK clients, loaded on first use: importing @aws-sdk/client-ecs and client-cloudwatch-logs costs about
// as much CPU as the rest of `heimdall serve`'s start-up, and an instance without ECS jobs never needs them.
// `Endpoint.call` awaits `loadAwsSdk()` before its callback runs, so code inside a call uses `ecsSdk()` /
// `logsSdk()` synchronously. Types come from `import type` and cost nothing at run time.
import type * as EcsSdk from "@aws-sdk/client-ecs";
import type * as LogsSdk from "@aws-sdk/client-cloudwatch-logs";

type EcsSdkModule = typeof EcsSdk;
type LogsSdkModule = typeof LogsSdk;

let ecs: EcsSdkModule | undefined;
let logs: LogsSdkModule | undefined;
let loading: Promise<void> | undefined;

/** True once both SDK modules are loaded. */
export function awsSdkLoaded(): boolean {
  return ecs !== undefined && logs !== undefined;
}

/** Loads both SDK modules (once; concurrent callers share the import). A failed import is retried on the next call. */
export function loadAwsSdk(): Promise<void> {
  loading ??= Promise.all([import("@aws-sdk/client-ecs"), import("@aws-sdk/client-cloudwatch-logs")]).then(
    ([e, l]) => {
      ecs = e;
      logs = l;
    },
    (err: unknown) => {
      loading = undefined;
      throw err;
    },
  );
  return loading;
}

function notLoaded(name: string): Error {
  return new Error(`${name} is not loaded yet: use it inside Endpoint.call, or await loadAwsSdk() first`);
}

/** @aws-sdk/client-ecs, once `loadAwsSdk()` has resolved. */
export function ecsSdk(): EcsSdkModule {
  if (ecs === undefined) throw notLoaded("@aws-sdk/client-ecs");
  return ecs;
}

/** @aws-sdk/client-cloudwatch-logs, once `loadAwsSdk()` has resolved. */
export function logsSdk(): LogsSdkModule {
  if (logs === undefined) throw notLoaded("@aws-sdk/client-cloudwatch-logs");
  return logs;
}
