// Compiled with `tsc --strict --noEmit` against the types openapi-typescript generated from the
// served document (tests/e2e/clients.rs): the document gives TypeScript callers the shapes the
// server answers with, errors included.
import type { components, paths } from "./schema";

type Schemas = components["schemas"];
type Json<T> = T extends { content: { "application/json": infer B } } ? B : never;

// Creating an app answers 202 with the app and its queued deployment.
type Created = Json<paths["/api/v1/apps"]["post"]["responses"]["202"]>;
export const created: Created = {
  app: {} as Schemas["App"],
  deployment: {} as Schemas["Deployment"],
};
export const queued: Schemas["DeploymentStatus"] = "queued";

// Query parameters are typed, and bounded in the document.
type LogsQuery = NonNullable<paths["/api/v1/apps/{name}/logs"]["get"]["parameters"]["query"]>;
export const logs: LogsQuery = { tail: 200, follow: false, service: "web" };

// Every error is the one ErrorBody, with its closed set of codes.
type Unauthorized = Json<paths["/api/v1/apps"]["get"]["responses"]["401"]>;
export const unauthorized: Unauthorized = { code: "unauthorized", message: "log in first" };
type BadOffset = Json<paths["/api/v1/deployments/{id}/log"]["get"]["responses"]["400"]>;
export const badOffset: BadOffset = {
  code: "validation_failed",
  message: "must be 0 to 9223372036854775807",
  fields: { offset: ["must be 0 to 9223372036854775807"] },
};
// @ts-expect-error: not one of the server's error codes
export const unknownCode: Schemas["ErrorCode"] = "teapot";
// @ts-expect-error: a volume listing's entries are VolumeEntry objects, not strings
export const entries: Schemas["VolumeListing"]["entries"] = ["a.txt"];
