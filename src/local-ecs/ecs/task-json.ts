// Task and Container shapes as DescribeTasks/RunTask/StopTask return them.
import { randomUUID } from "node:crypto";
import type { Json } from "../protocol.ts";
import type { TaskRecord } from "./model.ts";

const sec = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

/** Stable per-task ENI identifiers, derived from the task id. */
function eni(t: TaskRecord): { attachmentId: string; eniId: string; ip: string } {
  const h = t.id;
  const attachmentId = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  const n = Number.parseInt(h.slice(0, 4), 16);
  return { attachmentId, eniId: `eni-${h.slice(0, 17)}`, ip: `10.0.${(n >> 8) & 255}.${n & 255 || 1}` };
}

export function taskJson(t: TaskRecord, withTags: boolean): Json {
  const awsvpc = t.taskDefinition.body.networkMode === "awsvpc";
  const e = awsvpc ? eni(t) : undefined;
  const eniStatus = t.lastStatus === "PROVISIONING" ? "PRECREATED" : t.lastStatus === "STOPPED" ? "DELETED" : "ATTACHED";
  const out: Json = {
    attachments: e
      ? [
          {
            id: e.attachmentId,
            type: "ElasticNetworkInterface",
            status: eniStatus,
            details: [
              { name: "subnetId", value: t.subnet ?? "subnet-00000000" },
              ...(eniStatus !== "PRECREATED"
                ? [
                    { name: "networkInterfaceId", value: e.eniId },
                    { name: "privateIPv4Address", value: e.ip },
                  ]
                : []),
            ],
          },
        ]
      : [],
    attributes: [],
    availabilityZone: `${t.region}a`,
    ...(t.capacityProviderName ? { capacityProviderName: t.capacityProviderName } : {}),
    clusterArn: t.cluster.arn,
    ...(t.connectivityAt !== undefined ? { connectivity: "CONNECTED", connectivityAt: sec(t.connectivityAt) } : {}),
    containers: t.containers.map((c) => ({
      containerArn: c.arn,
      taskArn: t.arn,
      name: c.name,
      image: c.image,
      ...(c.runtimeId ? { runtimeId: c.runtimeId } : {}),
      lastStatus: c.lastStatus,
      ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
      ...(c.reason !== undefined ? { reason: c.reason.slice(0, 255) } : {}),
      networkBindings: [],
      networkInterfaces: e && c.lastStatus !== "PENDING" ? [{ attachmentId: e.attachmentId, privateIpv4Address: e.ip }] : [],
      healthStatus: c.healthStatus ?? "UNKNOWN",
      cpu: String(c.cpu),
      ...(c.memory !== undefined ? { memory: String(c.memory) } : {}),
      ...(c.memoryReservation !== undefined ? { memoryReservation: String(c.memoryReservation) } : {}),
    })),
    ...(t.cpu !== undefined ? { cpu: t.cpu } : {}),
    createdAt: sec(t.createdAt),
    desiredStatus: t.desiredStatus,
    enableExecuteCommand: t.enableExecuteCommand,
    ...(t.executionStoppedAt !== undefined ? { executionStoppedAt: sec(t.executionStoppedAt) } : {}),
    group: t.group,
    healthStatus: "UNKNOWN",
    lastStatus: t.lastStatus,
    ...(t.launchType ? { launchType: t.launchType } : {}),
    ...(t.memory !== undefined ? { memory: t.memory } : {}),
    overrides: t.overridesEcho,
    ...(t.platformVersion ? { platformVersion: t.platformVersion, platformFamily: "Linux" } : {}),
    ...(t.pullStartedAt !== undefined ? { pullStartedAt: sec(t.pullStartedAt) } : {}),
    ...(t.pullStoppedAt !== undefined ? { pullStoppedAt: sec(t.pullStoppedAt) } : {}),
    ...(t.startedAt !== undefined ? { startedAt: sec(t.startedAt) } : {}),
    ...(t.startedBy !== undefined ? { startedBy: t.startedBy } : {}),
    ...(t.stopCode !== undefined ? { stopCode: t.stopCode } : {}),
    ...(t.stoppedAt !== undefined ? { stoppedAt: sec(t.stoppedAt) } : {}),
    ...(t.stoppedReason !== undefined ? { stoppedReason: t.stoppedReason } : {}),
    ...(t.stoppingAt !== undefined ? { stoppingAt: sec(t.stoppingAt) } : {}),
    tags: withTags ? t.tags : [],
    taskArn: t.arn,
    taskDefinitionArn: t.taskDefinition.arn,
    version: t.version,
    ...(t.ephemeralStorage ? { ephemeralStorage: t.ephemeralStorage } : {}),
  };
  return out;
}

export const newTaskId = (): string => randomUUID().replace(/-/g, "");
