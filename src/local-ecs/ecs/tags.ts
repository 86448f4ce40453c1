// TagResource, UntagResource, ListTagsForResource on clusters, task definitions and tasks.
import { AwsError, type Json, invalidParam, list, str } from "../protocol.ts";
import { mergeTags, validateTags } from "./common.ts";
import type { EcsState, Tag } from "./model.ts";

const notFound = (): AwsError => new AwsError("ResourceNotFoundException", "The specified resource could not be found.");

function resource(state: EcsState, arn: string | undefined): { tags: Tag[] } {
  if (!arn) throw invalidParam("resourceArn can not be blank.");
  const m = /^arn:aws[a-z-]*:ecs:[^:]+:[^:]+:(cluster|task|task-definition)\/(.+)$/.exec(arn);
  if (!m) throw invalidParam("The ARN provided is invalid.");
  const [, kind, rest] = m as unknown as [string, string, string];
  if (kind === "cluster") {
    const c = state.clusters.get(rest);
    if (!c || c.status !== "ACTIVE") throw new AwsError("ClusterNotFoundException", "Cluster not found.");
    return c;
  }
  if (kind === "task") {
    const parts = rest.split("/");
    const t = parts.length === 2 ? state.tasks.get(parts[1]!) : undefined;
    if (!t || t.cluster.name !== parts[0]) throw notFound();
    return t;
  }
  const tm = /^([A-Za-z0-9_-]+):(\d+)$/.exec(rest);
  const td = tm ? state.families.get(tm[1]!)?.[Number(tm[2]) - 1] : undefined;
  if (!td) throw notFound();
  return td;
}

export function handleTags(state: EcsState, action: string, body: Json): Json | undefined {
  switch (action) {
    case "TagResource": {
      const r = resource(state, str(body, "resourceArn"));
      if (body.tags === undefined) throw invalidParam("tags can not be blank.");
      r.tags = mergeTags(r.tags, validateTags(body.tags));
      return {};
    }
    case "UntagResource": {
      const r = resource(state, str(body, "resourceArn"));
      const keys = list<string>(body, "tagKeys");
      if (!keys) throw invalidParam("tagKeys can not be blank.");
      r.tags = r.tags.filter((t) => !keys.includes(t.key));
      return {};
    }
    case "ListTagsForResource":
      return { tags: resource(state, str(body, "resourceArn")).tags };
    default:
      return undefined;
  }
}
