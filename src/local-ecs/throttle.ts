// Token-bucket throttling per action category, like ECS's published request throttling (ecs-api.md §7).

export interface BucketSpec {
  /** Bucket size (burst). */
  burst: number;
  /** Refill per second (sustained rate). */
  rate: number;
}

/** Which bucket each action draws from. Actions not listed are not throttled. */
export const ACTION_BUCKET: Record<string, string> = {
  CreateCluster: "clusterModify",
  DeleteCluster: "clusterModify",
  PutClusterCapacityProviders: "clusterModify",
  DescribeClusters: "clusterRead",
  ListClusters: "clusterRead",
  RegisterTaskDefinition: "taskDefinitionModify",
  DeregisterTaskDefinition: "taskDefinitionModify",
  DescribeTaskDefinition: "taskDefinitionRead",
  ListTaskDefinitions: "taskDefinitionRead",
  ListTaskDefinitionFamilies: "taskDefinitionRead",
  TagResource: "tagModify",
  UntagResource: "tagModify",
  ListTagsForResource: "tagRead",
  RunTask: "clusterResourceModify",
  StopTask: "clusterResourceModify",
  DescribeTasks: "clusterResourceRead",
  ListTasks: "clusterResourceRead",
  CreateLogGroup: "logsCreateLogGroup",
  CreateLogStream: "logsCreateLogStream",
  DescribeLogGroups: "logsDescribe",
  DescribeLogStreams: "logsDescribe",
  PutLogEvents: "logsPutLogEvents",
  GetLogEvents: "logsGetLogEvents",
  FilterLogEvents: "logsFilterLogEvents",
};

class Bucket {
  spec: BucketSpec;
  tokens: number;
  last: number;
  constructor(spec: BucketSpec, now: number) {
    this.spec = spec;
    this.tokens = spec.burst;
    this.last = now;
  }
  take(n: number, now: number): boolean {
    this.tokens = Math.min(this.spec.burst, this.tokens + ((now - this.last) / 1000) * this.spec.rate);
    this.last = now;
    if (this.tokens + 1e-9 < n) return false;
    this.tokens -= n;
    return true;
  }
}

export class Throttler {
  private buckets = new Map<string, Bucket>();
  enabled: boolean;
  constructor(enabled: boolean, specs: Record<string, BucketSpec>) {
    this.enabled = enabled;
    this.configure(specs);
  }

  /** Replace bucket specs (buckets are refilled to their burst). */
  configure(specs: Record<string, BucketSpec>): void {
    const now = Date.now();
    for (const [name, spec] of Object.entries(specs)) this.buckets.set(name, new Bucket({ ...spec }, now));
  }

  specs(): Record<string, BucketSpec> {
    return Object.fromEntries([...this.buckets].map(([k, b]) => [k, { ...b.spec }]));
  }

  /** True when the call may proceed (a token was taken). */
  allow(action: string): boolean {
    if (!this.enabled) return true;
    const name = ACTION_BUCKET[action];
    const b = name === undefined ? undefined : this.buckets.get(name);
    return b ? b.take(1, Date.now()) : true;
  }

  /** Fargate task-launch bucket: true when `count` task launches may proceed. */
  allowLaunches(count: number): boolean {
    if (!this.enabled) return true;
    const b = this.buckets.get("fargateTaskLaunch");
    return b ? b.take(count, Date.now()) : true;
  }
}
