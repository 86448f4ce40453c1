// Command and cluster routes (spec 5, 6): list, get, PUT, status get/put, statuses — the same six routes for both.
import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  HeimdallError,
  REGISTRY_STATUS_NAMES,
  clusterToJson,
  commandToJson,
  parseBooleanParam,
  parsePageQuery,
  parseStatusChange,
  parseRegistryStatusList,
  statusToJson,
  validateClusterBody,
  validateCommandBody,
} from "../core/index.ts";
import type { CommandFilter, Page, PageQuery, RegistryStatus } from "../core/index.ts";
import type { ApiDeps } from "./deps.ts";
import { API_PREFIX, bodyOf, callerOf, param, queryRecord, queryString } from "./http.ts";
import { pageEnvelope } from "./route-helpers.ts";
import { checkRegistryWrite } from "./auth/index.ts";
import { registryRoutes } from "./route-schemas.ts";
import type { AuthPolicy } from "../config/index.ts";

const P = API_PREFIX;

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
  if (parseBooleanParam("ignore_case", queryString(req, "ignore_case"))) f.ignore_case = true;
  return f;
}

/** What differs between the command and the cluster routes. */
interface RegistryKind<T extends { updated_at: number; status: string }> {
  noun: "command" | "cluster";
  /** Commands also filter by `plugin`. */
  withPlugin: boolean;
  list(filter: CommandFilter, page: PageQuery): Promise<Page<T>>;
  get(id: string): Promise<T | undefined>;
  /** Validates the PUT body and stores it. */
  put(id: string, body: Record<string, unknown>, caller: string): Promise<T>;
  setStatus(id: string, status: RegistryStatus, caller: string): Promise<T | undefined>;
  toJson(x: T): unknown;
}

function registerKind<T extends { updated_at: number; status: string }>(
  app: FastifyInstance,
  k: RegistryKind<T>,
  policy: AuthPolicy | undefined,
): void {
  const unknown = () => new HeimdallError("NOT_FOUND", `unknown ${k.noun}_id`);
  const load = async (req: FastifyRequest): Promise<T> => {
    const found = await k.get(param(req, "id"));
    if (!found) throw unknown();
    return found;
  };

  const schemas = registryRoutes(k.noun);
  app.get(`${P}/${k.noun}/statuses`, { schema: schemas.statuses }, async () => REGISTRY_STATUS_NAMES);
  app.get(`${P}/${k.noun}s`, { schema: schemas.list }, async (req) => {
    const filter = registryFilter(req, k.withPlugin);
    return pageEnvelope(await k.list(filter, parsePageQuery(queryRecord(req))), k.toJson);
  });
  app.get(`${P}/${k.noun}/:id`, { schema: schemas.get }, async (req) => k.toJson(await load(req)));
  app.put(`${P}/${k.noun}/:id`, { schema: schemas.put, config: { identity: true } }, async (req) => {
    const caller = callerOf(req);
    checkRegistryWrite(policy, req.identity);
    return k.toJson(await k.put(param(req, "id"), bodyOf(req), caller));
  });
  app.get(`${P}/${k.noun}/:id/status`, { schema: schemas.status }, async (req) => statusToJson(await load(req)));
  app.put(`${P}/${k.noun}/:id/status`, { schema: schemas.setStatus, config: { identity: true } }, async (req) => {
    const caller = callerOf(req);
    checkRegistryWrite(policy, req.identity);
    // `?status=` wins over the body key (5.5).
    const status = parseStatusChange(queryString(req, "status"), bodyOf(req));
    const updated = await k.setStatus(param(req, "id"), status, caller);
    if (!updated) throw unknown();
    return statusToJson(updated);
  });
}

export function registerRegistryRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store, engine } = deps;
  registerKind(
    app,
    {
      noun: "command",
      withPlugin: true,
      list: (f, page) => store.listCommands(f, page),
      get: (id) => store.getCommand(id),
      put: (id, body, caller) => engine.putCommand(validateCommandBody(id, body, caller)),
      setStatus: (id, s, caller) => store.setCommandStatus(id, s, caller),
      toJson: commandToJson,
    },
    deps.config.auth,
  );
  registerKind(
    app,
    {
      noun: "cluster",
      withPlugin: false,
      list: (f, page) => store.listClusters(f, page),
      get: (id) => store.getCluster(id),
      put: (id, body, caller) => engine.putCluster(validateClusterBody(id, body, caller)),
      setStatus: (id, s, caller) => store.setClusterStatus(id, s, caller),
      toJson: clusterToJson,
    },
    deps.config.auth,
  );
}
