// Links from an ECS task attempt to the AWS consoles (issue 9 item 3): the task in the ECS console and its
// container's CloudWatch log stream, both built from the task ARN (region, cluster, task id) and the task
// definition's awslogs group/prefix. Hidden for the local ECS endpoint, which is recognised by the account id in
// its ARNs: 000000000000 (the local ECS's `accountId` default, also LocalStack's) — see docs/ui.md.

import type { TaskTimeline } from "../../../core/api-types.ts";

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

/** The timeline's containers that log to CloudWatch (`containers: [{name, log: {group, prefix, region}}]`). */
export function containerLogs(tl: Pick<TaskTimeline, "containers"> | undefined): ContainerLog[] {
  return (tl?.containers ?? []).flatMap((c) =>
    c.log ? [{ name: c.name, group: c.log.group, prefix: c.log.prefix, region: c.log.region }] : [],
  );
}
