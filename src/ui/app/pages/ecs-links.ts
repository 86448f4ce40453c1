// Links from an ECS task attempt to the AWS consoles (issue 9 item 3): the task in the ECS console and its
// container's CloudWatch log stream, both built from the task ARN (region, cluster, task id) and the task
// definition's awslogs group/prefix. Hidden for the local ECS endpoint, which is recognised by the account id in
// its ARNs: 000000000000 (the local ECS's `accountId` default, also LocalStack's) — see docs/ui.md.

export const LOCAL_ACCOUNT = "000000000000";

export interface TaskArn {
  partition: string;
  region: string;
  account: string;
  cluster: string;
  taskId: string;
}

/** `arn:aws:ecs:us-east-1:123456789012:task/my-cluster/0123abcd` → its parts; undefined for other shapes. */
export function parseTaskArn(arn: string): TaskArn | undefined {
  const m = /^arn:(aws[a-z-]*):ecs:([a-z0-9-]+):(\d{12}):task\/([^/]+)\/([A-Za-z0-9-]+)$/.exec(arn.trim());
  if (!m) return undefined;
  return { partition: m[1] ?? "aws", region: m[2] ?? "", account: m[3] ?? "", cluster: m[4] ?? "", taskId: m[5] ?? "" };
}

/** True when the ARN names a task on real AWS (not the local ECS endpoint). */
export const isRealAws = (arn: TaskArn | undefined): arn is TaskArn => arn !== undefined && arn.account !== LOCAL_ACCOUNT;

function consoleHost(arn: TaskArn, region: string): string {
  if (arn.partition === "aws-cn") return `https://${region}.console.amazonaws.cn`;
  if (arn.partition === "aws-us-gov") return `https://${region}.console.amazonaws-us-gov.com`;
  return `https://${region}.console.aws.amazon.com`;
}

export function ecsConsoleUrl(arn: TaskArn): string {
  const r = encodeURIComponent(arn.region);
  return `${consoleHost(arn, arn.region)}/ecs/v2/clusters/${encodeURIComponent(arn.cluster)}/tasks/${encodeURIComponent(arn.taskId)}/configuration?region=${r}`;
}

/** The CloudWatch console's own escaping of path parts in its `#logsV2:` fragment: URL-encode twice, `%` → `$`. */
export const consoleEscape = (s: string): string => encodeURIComponent(encodeURIComponent(s)).replace(/%/g, "$");

export interface ContainerLog {
  name: string;
  group: string;
  prefix: string;
  region?: string | null;
}

/** awslogs stream `<prefix>/<container>/<task id>` in the container's log region (default: the task's). */
export function cloudWatchStreamUrl(arn: TaskArn, log: ContainerLog): string {
  const region = log.region || arn.region;
  const stream = `${log.prefix}/${log.name}/${arn.taskId}`;
  return `${consoleHost(arn, region)}/cloudwatch/home?region=${encodeURIComponent(region)}#logsV2:log-groups/log-group/${consoleEscape(log.group)}/log-events/${consoleEscape(stream)}`;
}

/** Reads the timeline's `containers: [{name, log: {group, prefix, region}}]` defensively. */
export function containerLogs(raw: unknown): ContainerLog[] {
  const o = raw && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const list = Array.isArray(o["containers"]) ? (o["containers"] as unknown[]) : [];
  const out: ContainerLog[] = [];
  for (const c of list) {
    if (!c || typeof c !== "object") continue;
    const rec = c as Record<string, unknown>;
    const log = rec["log"] && typeof rec["log"] === "object" ? (rec["log"] as Record<string, unknown>) : undefined;
    if (typeof rec["name"] !== "string" || !log || typeof log["group"] !== "string" || typeof log["prefix"] !== "string") continue;
    out.push({
      name: rec["name"],
      group: log["group"],
      prefix: log["prefix"],
      region: typeof log["region"] === "string" ? log["region"] : null,
    });
  }
  return out;
}
