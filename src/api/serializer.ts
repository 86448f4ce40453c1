// Response serialization from the route schemas (fast-json-stringify, Fastify's default compiler) with one change:
// `required` is dropped before compiling. fast-json-stringify writes required properties before optional ones,
// which would break the canonical key order of the wire objects (core serialize.ts, spec 2.1–2.4); the document
// keeps `required`. Properties absent from a schema are dropped, so the schemas list every field
// (open objects say `additionalProperties: true`).
import { SerializerSelector } from "@fastify/fast-json-stringify-compiler";
import type { FastifyServerOptions } from "fastify";

type SchemaController = NonNullable<FastifyServerOptions["schemaController"]>;
type SerializerFactory = NonNullable<NonNullable<SchemaController["compilersFactory"]>["buildSerializer"]>;

/** A deep copy of `schema` without any `required` keyword (property names called "required" are kept). */
export function withoutRequired(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutRequired);
  if (schema === null || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "required" && Array.isArray(v)) continue;
    if (k === "properties" && v !== null && typeof v === "object") {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, withoutRequired(s)]));
      continue;
    }
    out[k] = withoutRequired(v);
  }
  return out;
}

const selector = SerializerSelector();

export const buildSerializer: SerializerFactory = (externalSchemas, options) => {
  const external = withoutRequired(externalSchemas ?? {}) as Record<string, unknown>;
  const build = selector(external, options);
  return (route) => build({ ...route, schema: withoutRequired(route.schema) });
};
