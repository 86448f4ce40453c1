// The labels the docker runtime puts on its containers (in a module of its own: resuming reads them without
// loading dockerode).
export const LABEL = {
  cluster: "heimdall.local-ecs.cluster",
  taskArn: "heimdall.local-ecs.task-arn",
  container: "heimdall.local-ecs.container-name",
  dataDir: "heimdall.local-ecs.data-dir",
} as const;
