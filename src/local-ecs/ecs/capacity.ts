// Capacity providers: FARGATE and FARGATE_SPOT, associated with clusters (CreateCluster, PutClusterCapacityProviders),
// strategies checked as ECS does, and the provider each RunTask task is placed on.
import { type Json, invalidParam } from "../protocol.ts";
import type { Cluster } from "./model.ts";

export const PROVIDERS = ["FARGATE", "FARGATE_SPOT"];
export const MAX_WEIGHT = 1000;
export const MAX_BASE = 100000;
const MAX_ITEMS = 20;

export interface StrategyItem {
  capacityProvider: string;
  weight: number;
  base: number;
}

/** Every name must be a provider this endpoint knows (FARGATE, FARGATE_SPOT). */
export function checkProviders(names: unknown): string[] {
  if (!Array.isArray(names) || names.some((n) => typeof n !== "string")) throw invalidParam("capacityProviders must be a list of strings.");
  for (const n of names as string[])
    if (!PROVIDERS.includes(n))
      throw invalidParam(`The specified capacity provider '${n}' does not exist. Specify a valid capacity provider and try again.`);
  return [...new Set(names as string[])];
}

/**
 * Parses and checks a strategy like ECS: each item names a provider, weight 0-1000, base 0-100000, no provider
 * twice, at most one base, at least one weight above 0 when there are several; with `cluster`, every provider
 * must be associated with it.
 */
export function checkStrategy(raw: unknown, cluster: Pick<Cluster, "capacityProviders"> | undefined): StrategyItem[] {
  if (!Array.isArray(raw)) throw invalidParam("capacityProviderStrategy must be a list.");
  if (raw.length > MAX_ITEMS) throw invalidParam(`capacityProviderStrategy can have at most ${MAX_ITEMS} items.`);
  const out: StrategyItem[] = [];
  for (const item of raw as Json[]) {
    const name = item?.capacityProvider;
    if (typeof name !== "string" || name === "") throw invalidParam("capacityProviderStrategy.capacityProvider can not be blank.");
    const weight = item.weight ?? 0;
    const base = item.base ?? 0;
    if (typeof weight !== "number" || !Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT)
      throw invalidParam(
        `The specified capacity provider strategy weight for ${name} is not valid. Weight must be between 0 and ${MAX_WEIGHT}.`,
      );
    if (typeof base !== "number" || !Number.isInteger(base) || base < 0 || base > MAX_BASE)
      throw invalidParam(`The specified capacity provider strategy base for ${name} is not valid. Base must be between 0 and ${MAX_BASE}.`);
    if (out.some((o) => o.capacityProvider === name))
      throw invalidParam("The specified capacity provider strategy cannot contain duplicate capacity providers.");
    out.push({ capacityProvider: name, weight, base });
  }
  if (out.filter((s) => s.base > 0).length > 1)
    throw invalidParam(
      "The specified capacity provider strategy cannot contain more than one capacity provider with a base value greater than zero. Specify only one base value and try again.",
    );
  if (out.length > 1 && !out.some((s) => s.weight > 0))
    throw invalidParam(
      "The specified capacity provider strategy must contain at least one capacity provider with a weight value greater than zero. Specify a weight and try again.",
    );
  if (cluster !== undefined)
    for (const s of out)
      if (!cluster.capacityProviders.includes(s.capacityProvider))
        throw invalidParam(
          "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.",
        );
  return out;
}

/** Tasks placed per provider and cluster (weights spread placements across RunTask calls, deterministically). */
const placed = new WeakMap<Cluster, Map<string, number>>();

/**
 * The provider of each of `count` tasks of one RunTask: the base first on its provider, then by weight — each
 * task to the provider furthest below its weighted share of the cluster's placements so far (ties: first listed).
 */
export function placeTasks(strategy: StrategyItem[], cluster: Cluster, count: number): string[] {
  const counts = placed.get(cluster) ?? new Map<string, number>();
  placed.set(cluster, counts);
  const out: string[] = [];
  const withBase = strategy.find((s) => s.base > 0);
  for (let i = 0; i < Math.min(count, withBase?.base ?? 0); i++) out.push(withBase!.capacityProvider);
  const weighted = strategy.filter((s) => s.weight > 0);
  const pool = weighted.length > 0 ? weighted : strategy.slice(0, 1);
  while (out.length < count) {
    let best = pool[0]!;
    let bestScore = Infinity;
    for (const s of pool) {
      const score = ((counts.get(s.capacityProvider) ?? 0) + 1) / Math.max(s.weight, 1);
      if (score < bestScore) {
        best = s;
        bestScore = score;
      }
    }
    counts.set(best.capacityProvider, (counts.get(best.capacityProvider) ?? 0) + 1);
    out.push(best.capacityProvider);
  }
  return out;
}
