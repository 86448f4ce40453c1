// CreateCluster, DescribeClusters, ListClusters, DeleteCluster, PutClusterCapacityProviders.
import { AwsError, type Json, invalidParam, list, num, pageOf, str } from "../protocol.ts";
import { PROVIDERS, checkProviders, checkStrategy } from "./capacity.ts";
import { type EcsContext, clusterArn, clusterName, findCluster, validateTags } from "./common.ts";
import type { Cluster, EcsState } from "./model.ts";

const PENDING = new Set(["PROVISIONING", "PENDING", "ACTIVATING"]);

/**
 * A cluster as the console's "AWS Fargate" template makes it: FARGATE and FARGATE_SPOT associated, no default
 * strategy (CreateCluster replaces the providers with the request's, none when it names none).
 */
export function newCluster(ctx: EcsContext, name: string): Cluster {
  return {
    name,
    arn: clusterArn(ctx, name),
    status: "ACTIVE",
    tags: [],
    settings: [{ name: "containerInsights", value: "disabled" }],
    configuration: undefined,
    capacityProviders: [...PROVIDERS],
    defaultCapacityProviderStrategy: [],
  };
}

/** capacityProviders + defaultCapacityProviderStrategy of CreateCluster / PutClusterCapacityProviders, checked. */
function providersOf(body: Json, required: boolean): { providers: string[]; strategy: Json[] } {
  const rawProviders = body.capacityProviders;
  const rawStrategy = body.defaultCapacityProviderStrategy;
  if (required && rawProviders === undefined) throw invalidParam("capacityProviders can not be null.");
  if (required && rawStrategy === undefined) throw invalidParam("defaultCapacityProviderStrategy can not be null.");
  const providers = rawProviders === undefined ? [] : checkProviders(rawProviders);
  const strategy = rawStrategy === undefined ? [] : checkStrategy(rawStrategy, { capacityProviders: providers });
  return { providers, strategy: strategy as unknown as Json[] };
}

export function clusterJson(state: EcsState, c: Cluster, withTags: boolean): Json {
  let running = 0;
  let pending = 0;
  if (c.status === "ACTIVE")
    for (const t of state.tasks.values()) {
      if (t.cluster !== c) continue;
      if (t.lastStatus === "RUNNING") running++;
      else if (PENDING.has(t.lastStatus)) pending++;
    }
  return {
    clusterArn: c.arn,
    clusterName: c.name,
    status: c.status,
    registeredContainerInstancesCount: 0,
    runningTasksCount: running,
    pendingTasksCount: pending,
    activeServicesCount: 0,
    statistics: [],
    tags: withTags ? c.tags : [],
    settings: c.settings,
    ...(c.configuration ? { configuration: c.configuration } : {}),
    capacityProviders: c.capacityProviders,
    defaultCapacityProviderStrategy: c.defaultCapacityProviderStrategy,
  };
}

export function handleClusters(state: EcsState, action: string, body: Json, ctx: EcsContext): Json | undefined {
  switch (action) {
    case "CreateCluster": {
      const name = str(body, "clusterName") ?? "default";
      if (!/^[A-Za-z0-9_-]{1,255}$/.test(name))
        throw invalidParam("Cluster name must be 1-255 characters: letters (uppercase and lowercase), numbers, underscores, and hyphens.");
      const tags = validateTags(body.tags);
      const cap = providersOf(body, false);
      const existing = state.clusters.get(name);
      if (existing?.status === "ACTIVE") return { cluster: clusterJson(state, existing, true) };
      const c = newCluster(ctx, name);
      c.tags = tags;
      if (Array.isArray(body.settings)) c.settings = body.settings as Json[];
      if (body.configuration && typeof body.configuration === "object") c.configuration = body.configuration as Json;
      c.capacityProviders = cap.providers;
      c.defaultCapacityProviderStrategy = cap.strategy;
      state.clusters.set(name, c);
      return { cluster: clusterJson(state, c, true) };
    }
    case "DescribeClusters": {
      const refs = list<string>(body, "clusters") ?? ["default"];
      if (refs.length > 100) throw invalidParam("clusters can have at most 100 items.");
      const withTags = (list<string>(body, "include") ?? []).includes("TAGS");
      const clusters: Json[] = [];
      const failures: Json[] = [];
      for (const ref of refs) {
        const c = state.clusters.get(clusterName(ref));
        if (c) clusters.push(clusterJson(state, c, withTags));
        else failures.push({ arn: clusterArn(ctx, clusterName(ref)), reason: "MISSING" });
      }
      return { clusters, failures };
    }
    case "ListClusters": {
      const max = num(body, "maxResults") ?? 100;
      if (!Number.isInteger(max) || max < 1 || max > 100) throw invalidParam("maxResults must be between 1 and 100.");
      const all = [...state.clusters.values()].filter((c) => c.status === "ACTIVE").map((c) => c.arn);
      const [page, more] = pageOf(all, str(body, "nextToken"), max);
      return { clusterArns: page, ...more };
    }
    case "PutClusterCapacityProviders": {
      const c = findCluster(state, str(body, "cluster", { required: true }));
      const cap = providersOf(body, true);
      for (const t of state.tasks.values())
        if (
          t.cluster === c &&
          t.lastStatus !== "STOPPED" &&
          t.capacityProviderName !== undefined &&
          !cap.providers.includes(t.capacityProviderName)
        )
          throw new AwsError("ResourceInUseException", "The specified capacity provider is in use and cannot be removed.");
      c.capacityProviders = cap.providers;
      c.defaultCapacityProviderStrategy = cap.strategy;
      return { cluster: clusterJson(state, c, false) };
    }
    case "DeleteCluster": {
      const c = findCluster(state, str(body, "cluster", { required: true }));
      for (const t of state.tasks.values())
        if (t.cluster === c && t.lastStatus !== "STOPPED")
          throw new AwsError("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.");
      c.status = "INACTIVE";
      return { cluster: clusterJson(state, c, false) };
    }
    default:
      return undefined;
  }
}
