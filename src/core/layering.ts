// Context layering (spec 10.3): plugin defaults ← command context ← job context, by a declared schema.
import type { Json, JsonObject } from "./types.ts";

export type LayerKind = "scalar" | "array" | "map" | { object: LayerSchema };
export type LayerSchema = Record<string, LayerKind>;

function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Deep copy of a JSON value (structuredClone would also copy non-JSON values; contexts are JSON). */
export function cloneJson<T extends Json>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => cloneJson(x)) as T;
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = cloneJson(x);
    return out as T;
  }
  return v;
}

function own(o: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** Applies one layer onto `base` (mutated) following `schema`. */
function applyLayer(schema: LayerSchema, base: JsonObject, layer: JsonObject): void {
  for (const [key, kind] of Object.entries(schema)) {
    if (!own(layer, key)) continue;
    const value = layer[key] as Json;
    if (value === null) {
      delete base[key];
      continue;
    }
    if (typeof kind === "object") {
      if (isObject(value)) {
        const lower = base[key];
        const target: JsonObject = isObject(lower) ? lower : {};
        applyLayer(kind.object, target, value);
        base[key] = target;
      } else {
        base[key] = cloneJson(value); // wrong type: kept so that validation reports it
      }
      continue;
    }
    if (kind === "map" && isObject(value)) {
      const lower = base[key];
      const target: JsonObject = isObject(lower) ? lower : {};
      for (const [mk, mv] of Object.entries(value)) {
        if (mv === null) delete target[mk];
        else target[mk] = cloneJson(mv);
      }
      base[key] = target;
      continue;
    }
    base[key] = cloneJson(value);
  }
}

/** Keeps only schema keys of the defaults (deep copy). */
function pick(schema: LayerSchema, source: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, kind] of Object.entries(schema)) {
    if (!own(source, key)) continue;
    const v = source[key] as Json;
    if (v === null) continue;
    out[key] = typeof kind === "object" && isObject(v) ? pick(kind.object, v) : cloneJson(v);
  }
  return out;
}

/**
 * Merges layers over the defaults: absent keys keep the lower value, `null` unsets, objects merge
 * recursively, maps merge key by key (`null` removes a key), arrays and scalars replace, unknown keys are
 * ignored at every level. Inputs are never mutated.
 */
export function layerContext(schema: LayerSchema, defaults: JsonObject, ...layers: (JsonObject | undefined)[]): JsonObject {
  const result = pick(schema, defaults);
  for (const layer of layers) {
    if (layer !== undefined && layer !== null) applyLayer(schema, result, layer);
  }
  return result;
}
