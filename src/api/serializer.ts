// Response serialization from the route schemas (fast-json-stringify, Fastify's default compiler) with one change:
// `required` is dropped before compiling. fast-json-stringify writes required properties before optional ones,
// which would break the canonical key order of the wire objects (core serialize.ts, spec 2.1–2.4); the document
// keeps `required`. Properties absent from a schema are dropped, so the schemas list every field
// (open objects say `additionalProperties: true`).
// fast-json-stringify (with Ajv) costs a few hundred ms to load: it is loaded, and each route's serializer compiled,
// at the first response that needs it, so `serve` starts as fast as without schemas.
import { createRequire } from "node:module";
import type { SerializerSelector as Selector } from "@fastify/fast-json-stringify-compiler";
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

const require = createRequire(import.meta.url);
let selector: ReturnType<typeof Selector> | undefined;
function loadSelector(): ReturnType<typeof Selector> {
  if (!selector) {
    const { SerializerSelector } = require("@fastify/fast-json-stringify-compiler") as { SerializerSelector: typeof Selector };
    selector = SerializerSelector();
  }
  return selector;
}

export const buildSerializer: SerializerFactory = (externalSchemas, options) => {
  let build: ReturnType<ReturnType<typeof Selector>> | undefined;
  return (route) => {
    let serialize: ((data: unknown) => string) | undefined;
    return (data: unknown) => {
      if (!serialize) {
        build ??= loadSelector()(withoutRequired(externalSchemas ?? {}) as Record<string, unknown>, options);
        serialize = build({ ...route, schema: withoutRequired(route.schema) });
      }
      return serialize(data);
    };
  };
};
