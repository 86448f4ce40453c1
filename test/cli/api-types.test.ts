// The CLI's generated API types (src/cli/api-types.gen.ts) match the OpenAPI document the routes declare today:
// a route or schema change without `npm run gen:client` fails here.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CLIENT_TYPES_PATH, clientTypesSource, openApiDocument } from "../../scripts/gen-client.ts";
import { fillPath } from "../../src/cli/api-calls.ts";

describe("generated API client types", () => {
  it("are up to date with the route schemas (npm run gen:client)", async () => {
    const committed = readFileSync(CLIENT_TYPES_PATH, "utf8");
    const fresh = await clientTypesSource();
    assert.ok(committed === fresh, "src/cli/api-types.gen.ts is stale: run `npm run gen:client` and commit the result");
  });

  it("cover the job calls the CLI makes", async () => {
    const doc = await openApiDocument();
    const ops = Object.values(doc.paths ?? {}).flatMap((p) =>
      Object.values(p as Record<string, { operationId?: string }>).map((o) => o.operationId),
    );
    for (const id of ["submitJob", "getJob", "getJobStatus", "cancelJob", "listJobs", "getJobTasks"]) assert.ok(ops.includes(id), id);
    const source = readFileSync(CLIENT_TYPES_PATH, "utf8");
    assert.match(source, /status: "NEW" \| "ACCEPTED" \| "RUNNING" \| "FAILED" \| "KILLED" \| "SUCCEEDED" \| "CANCELING" \| "CANCELED";/);
  });

  it("fill path templates below the API prefix, encoded", () => {
    assert.equal(fillPath("/api/v1/job/{id}/status", { id: "a/b c" }), "/job/a%2Fb%20c/status");
    assert.throws(() => fillPath("/api/v1/job/{id}", {}), /path parameter id missing/);
  });
});
