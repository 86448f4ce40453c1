// Command and cluster routes (spec 5, 6): list, get, PUT, status get/put, statuses.
import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  HeimdallError,
  REGISTRY_STATUSES,
  clusterToJson,
  commandToJson,
  parsePageQuery,
  parseStatusChange,
  parseRegistryStatusList,
  validateClusterBody,
  validateCommandBody,
} from "../core/index.ts";
import type { CommandFilter, RegistryFilter, RegistryStatus } from "../core/index.ts";
import type { ApiDeps } from "./deps.ts";
import { API_PREFIX, bodyOf, callerOf, param, queryRecord, queryString } from "./http.ts";
import { pageEnvelope } from "./routes-jobs.ts";

const P = API_PREFIX;
const SORTED_REGISTRY_STATUSES = [...REGISTRY_STATUSES].sort();

function registryFilter(req: FastifyRequest, withPlugin: boolean): CommandFilter {
  const f: CommandFilter = {};
  const keys = withPlugin ? (["username", "id", "name", "version", "plugin"] as const) : (["username", "id", "name", "version"] as const);
  for (const k of keys) {
    const v = queryString(req, k);
    if (v !== undefined && v !== "") f[k] = v;
  }
  const status = queryString(req, "status");
  if (status !== undefined) {
    const list = parseRegistryStatusList(status);
    if (list && list.length > 0) f.status = list;
  }
  return f;
}

/** New status of a status PUT: `?status=` wins over the body key (5.5). */
function requestedStatus(req: FastifyRequest): RegistryStatus {
  return parseStatusChange(queryString(req, "status"), bodyOf(req));
}

const statusJson = (o: { updated_at: number; status: string }) => ({ updated_at: o.updated_at, status: o.status });

export function registerRegistryRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store, engine } = deps;
  // ---- commands ----
  app.get(`${P}/command/statuses`, { config: { template: `${P}/command/statuses` } }, async () => SORTED_REGISTRY_STATUSES);
  app.get(`${P}/commands`, { config: { template: `${P}/commands` } }, async (req) => {
    const filter = registryFilter(req, true);
    const page = parsePageQuery(queryRecord(req));
    return pageEnvelope(await store.listCommands(filter, page), commandToJson);
  });
  app.get(`${P}/command/:id`, { config: { template: `${P}/command/{id}` } }, async (req) => {
    const c = await store.getCommand(param(req, "id"));
    if (!c) throw new HeimdallError("NOT_FOUND", "unknown command_id");
    return commandToJson(c);
  });
  app.put(`${P}/command/:id`, { config: { identity: true, template: `${P}/command/{id}` } }, async (req) => {
    const caller = callerOf(req);
    const cmd = validateCommandBody(param(req, "id"), bodyOf(req), caller);
    return commandToJson(await engine.putCommand(cmd));
  });
  app.get(`${P}/command/:id/status`, { config: { template: `${P}/command/{id}/status` } }, async (req) => {
    const c = await store.getCommand(param(req, "id"));
    if (!c) throw new HeimdallError("NOT_FOUND", "unknown command_id");
    return statusJson(c);
  });
  app.put(`${P}/command/:id/status`, { config: { identity: true, template: `${P}/command/{id}/status` } }, async (req) => {
    const caller = callerOf(req);
    const status = requestedStatus(req);
    const c = await store.setCommandStatus(param(req, "id"), status, caller);
    if (!c) throw new HeimdallError("NOT_FOUND", "unknown command_id");
    return statusJson(c);
  });

  // ---- clusters ----
  app.get(`${P}/cluster/statuses`, { config: { template: `${P}/cluster/statuses` } }, async () => SORTED_REGISTRY_STATUSES);
  app.get(`${P}/clusters`, { config: { template: `${P}/clusters` } }, async (req) => {
    const filter: RegistryFilter = registryFilter(req, false);
    const page = parsePageQuery(queryRecord(req));
    return pageEnvelope(await store.listClusters(filter, page), clusterToJson);
  });
  app.get(`${P}/cluster/:id`, { config: { template: `${P}/cluster/{id}` } }, async (req) => {
    const c = await store.getCluster(param(req, "id"));
    if (!c) throw new HeimdallError("NOT_FOUND", "unknown cluster_id");
    return clusterToJson(c);
  });
  app.put(`${P}/cluster/:id`, { config: { identity: true, template: `${P}/cluster/{id}` } }, async (req) => {
    const caller = callerOf(req);
    const cl = validateClusterBody(param(req, "id"), bodyOf(req), caller);
    return clusterToJson(await engine.putCluster(cl));
  });
  app.get(`${P}/cluster/:id/status`, { config: { template: `${P}/cluster/{id}/status` } }, async (req) => {
    const c = await store.getCluster(param(req, "id"));
    if (!c) throw new HeimdallError("NOT_FOUND", "unknown cluster_id");
    return statusJson(c);
  });
  app.put(`${P}/cluster/:id/status`, { config: { identity: true, template: `${P}/cluster/{id}/status` } }, async (req) => {
    const caller = callerOf(req);
    const status = requestedStatus(req);
    const c = await store.setClusterStatus(param(req, "id"), status, caller);
    if (!c) throw new HeimdallError("NOT_FOUND", "unknown cluster_id");
    return statusJson(c);
  });
}
