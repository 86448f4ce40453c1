// Job routing (spec 8.1, D3): criteria subsets over ACTIVE commands and clusters, caller check, random pair.
import type { Cluster, Command } from "./types.ts";
import { HeimdallError, notFound } from "./errors.ts";
import { compileCallers, type CallerMatcher } from "./callers.ts";

export const NO_PAIR_MESSAGE = "command-cluster pair is not found";
export const NOT_ALLOWED_MESSAGE = "caller is not allowed to run this command";

export interface RoutingRegistry {
  commands: readonly Command[];
  clusters: readonly Cluster[];
}

export interface Route {
  command: Command;
  cluster: Cluster;
}

const matcherCache = new WeakMap<Command, CallerMatcher>();
// Second level, by pattern list, for registry snapshots that re-create command objects.
const matcherByPatterns = new Map<string, CallerMatcher>();
const MAX_PATTERN_CACHE = 1024;

/** The compiled allowed_callers matcher of a command, cached per command object and per pattern list. */
export function callerMatcher(command: Command): CallerMatcher {
  let m = matcherCache.get(command);
  if (m === undefined) {
    const key = JSON.stringify([command.id, command.allowed_callers]);
    m = matcherByPatterns.get(key);
    if (m === undefined) {
      m = compileCallers(command.id, command.allowed_callers);
      if (matcherByPatterns.size >= MAX_PATTERN_CACHE) matcherByPatterns.clear();
      matcherByPatterns.set(key, m);
    }
    matcherCache.set(command, m);
  }
  return m;
}

/** True when `caller` (or one of its verified `groups`, for `group:<name>` entries) may submit jobs to `command` (8.2). */
export function callerAllowed(command: Command, caller: string, groups: readonly string[] = []): boolean {
  if (command.allowed_callers.length === 0) return true;
  try {
    return callerMatcher(command)(caller, groups);
  } catch {
    return false; // a stored pattern that no longer compiles admits nobody
  }
}

const tagSetCache = new WeakMap<Command | Cluster, ReadonlySet<string>>();

/** The tag set of a registry object as a Set, cached per object. */
function tagSet(o: Command | Cluster, tags: readonly string[]): ReadonlySet<string> {
  let s = tagSetCache.get(o);
  if (s === undefined) {
    s = new Set(tags);
    tagSetCache.set(o, s);
  }
  return s;
}

function containsAll(set: ReadonlySet<string>, wanted: readonly string[]): boolean {
  for (const w of wanted) if (!set.has(w)) return false;
  return true;
}

/** Every (command, cluster) pair matching the criteria, before the caller check. */
export function matchingPairs(
  reg: RoutingRegistry,
  commandCriteria: readonly string[] | undefined,
  clusterCriteria: readonly string[] | undefined,
): Route[] {
  if (commandCriteria == null || clusterCriteria == null) return [];
  const clusters = reg.clusters
    .filter((cl) => cl.status === "ACTIVE")
    .map((cl) => ({ cl, tags: tagSet(cl, cl.tags) }))
    .filter(({ tags }) => containsAll(tags, clusterCriteria));
  const pairs: Route[] = [];
  for (const cmd of reg.commands) {
    if (cmd.status !== "ACTIVE") continue;
    if (!containsAll(tagSet(cmd, cmd.tags), commandCriteria)) continue;
    for (const { cl, tags } of clusters) {
      if (containsAll(tags, cmd.cluster_tags)) pairs.push({ command: cmd, cluster: cl });
    }
  }
  return pairs;
}

/**
 * Chooses the (command, cluster) pair for a job. Missing criteria match nothing; [] matches everything.
 * Throws NOT_FOUND when no pair matches, FORBIDDEN when pairs match but none admits the caller.
 */
export function routeJob(
  reg: RoutingRegistry,
  commandCriteria: readonly string[] | undefined,
  clusterCriteria: readonly string[] | undefined,
  caller: string,
  random: () => number = Math.random,
  groups: readonly string[] = [],
): Route {
  const pairs = matchingPairs(reg, commandCriteria, clusterCriteria);
  if (pairs.length === 0) throw notFound(NO_PAIR_MESSAGE);
  const allowed = pairs.filter((p) => callerAllowed(p.command, caller, groups));
  if (allowed.length === 0) throw new HeimdallError("FORBIDDEN", NOT_ALLOWED_MESSAGE);
  const index = Math.min(Math.floor(random() * allowed.length), allowed.length - 1);
  return allowed[Math.max(index, 0)]!;
}
