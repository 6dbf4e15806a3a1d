/**
 * Where the engine is and how to reach it, as the docker CLI reads DOCKER_HOST and friends. A plain value: config
 * parses it from the environment, the engine adapter dials it; neither needs the other.
 */
export type EngineEndpoint =
  { kind: 'socket'; socketPath: string } | { kind: 'tcp'; host: string; port: number; tls?: { certPath: string; verify: boolean } };
