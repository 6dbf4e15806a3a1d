import Docker from 'dockerode';
import fs from 'node:fs';
import path from 'node:path';
import type { EngineEndpoint } from '../domain/engine-endpoint';

export interface DockerClients {
  /** For ordinary request/response calls: bounded by the engine timeout. */
  api: Docker;
  /** For long-lived streams (events, pulls, log follows): no socket timeout, callers bound them. */
  streaming: Docker;
}

function options(endpoint: EngineEndpoint): Docker.DockerOptions {
  if (endpoint.kind === 'socket') return { socketPath: endpoint.socketPath };
  const base: Docker.DockerOptions = { host: endpoint.host, port: endpoint.port, protocol: endpoint.tls ? 'https' : 'http' };
  if (endpoint.tls) {
    const read = (f: string) => fs.readFileSync(path.join(endpoint.tls!.certPath, f));
    return { ...base, ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
  }
  return base;
}

export function createDockerClients(endpoint: EngineEndpoint, timeoutMs: number): DockerClients {
  const opts = options(endpoint);
  return {
    // The modem timeout only frees sockets; callers fail first, with engine_timeout (engineCall).
    api: new Docker({ ...opts, timeout: timeoutMs + 1000 }),
    streaming: new Docker(opts),
  };
}
