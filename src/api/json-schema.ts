// A few JSON Schema builders for the route schemas (the subset of TypeBox's `Type` they use, same output except
// records, written as `additionalProperties`). TypeBox itself costs ~170 ms of CPU to load at every `serve` start
// (docs/benchmarks.md, "Route schemas"); these are plain objects.

/** A JSON Schema object (OpenAPI 3.0 flavour: `nullable`, `example`). */
export type Schema = Record<string, unknown>;
type Options = Record<string, unknown>;

const OPTIONAL = Symbol("optional");
type OptionalSchema = Schema & { [OPTIONAL]?: true };

export const Type = {
  String: (o: Options = {}): Schema => ({ ...o, type: "string" }),
  Integer: (o: Options = {}): Schema => ({ ...o, type: "integer" }),
  Number: (o: Options = {}): Schema => ({ ...o, type: "number" }),
  Boolean: (o: Options = {}): Schema => ({ ...o, type: "boolean" }),
  Unknown: (o: Options = {}): Schema => ({ ...o }),
  /** A schema given as is (enums, `$ref`s). */
  Unsafe: (s: Schema): Schema => ({ ...s }),
  Array: (items: Schema, o: Options = {}): Schema => ({ ...o, type: "array", items }),
  /** An object with string keys and `value` values. */
  Record: (value: Schema, o: Options = {}): Schema => ({ ...o, type: "object", additionalProperties: value }),
  /** Marks a property of Type.Object as not required. */
  Optional: (s: Schema): Schema => {
    const out: OptionalSchema = { ...s };
    Object.defineProperty(out, OPTIONAL, { value: true, enumerable: false });
    return out;
  },
  /** An object; its `required` lists the properties not wrapped in Type.Optional, in declaration order. */
  Object: (properties: Record<string, Schema>, o: Options = {}): Schema => {
    const required = Object.entries(properties)
      .filter(([, s]) => !(s as OptionalSchema)[OPTIONAL])
      .map(([k]) => k);
    return { ...o, type: "object", properties, ...(required.length > 0 ? { required } : {}) };
  },
};
