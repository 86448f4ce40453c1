// Response serialization from the route schemas (fast-json-stringify, Fastify's default compiler) with one change:
// `required` is dropped before compiling. fast-json-stringify writes required properties before optional ones,
// which would break the canonical key order of the wire objects (core serialize.ts, spec 2.1–2.4); the document
// keeps `required`. Properties absent from a schema are dropped, so the schemas list every field
// (open objects say `additionalProperties: true`).
// fast-json-stringify (with Ajv) costs a hundred ms or more to load: each route's serializer is compiled at the first
// response that needs it. The compiler itself is loaded by buildApp (loadSerializerCompiler: a dynamic import, which
// the build bundles into its own chunk, far cheaper than Node resolving and loading its ~60 CommonJS files at the
// first response); without that, the first response requires it from node_modules.
import { createRequire } from "node:module";
import type * as SelectorModule from "@fastify/fast-json-stringify-compiler";
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
let compiler: typeof SelectorModule | undefined;
let selector: ReturnType<typeof Selector> | undefined;

/** Loads fast-json-stringify's compiler ahead of the first response (once). */
export async function loadSerializerCompiler(): Promise<void> {
  // A CommonJS module: its exports object is the namespace's default, in Node and in the bundle alike.
  compiler ??= ((await import("@fastify/fast-json-stringify-compiler")) as unknown as { default: typeof SelectorModule }).default;
}

function loadSelector(): ReturnType<typeof Selector> {
  if (!selector) {
    compiler ??= require("@fastify/fast-json-stringify-compiler") as typeof SelectorModule;
    selector = compiler.SerializerSelector();
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
