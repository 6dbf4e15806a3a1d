import type { Logger } from 'pino';
import type { AppServices } from './app';
import type { Config } from './config/config';
import { TokenVerifier } from './domain/auth/tokens';
import { ImageService } from './domain/images/image-service';
import { createDockerClients } from './engine/docker-client';
import { DockerEngineStatus } from './engine/docker-engine-status';
import { RegistryAllowlist } from './domain/registries/registry';
import { DockerImageRepository } from './engine/docker-image-repository';
import { wireImageAdmin } from './wiring-image-admin';

export interface Wired extends AppServices {
  /** Stops background work (event streams, job timers) so the process can exit. */
  close(): Promise<void>;
}

/** The composition root: engine adapters → domain services. No I/O happens here. */
export function wire(config: Config, logger: Logger): Wired {
  const docker = createDockerClients(config.engine, config.engineTimeoutMs);
  const engine = new DockerEngineStatus(docker.api, config.engineTimeoutMs);
  const images = new ImageService(new DockerImageRepository(docker.api, config.engineTimeoutMs));
  return {
    logger,
    verifier: new TokenVerifier(config.tokens),
    engine,
    images,
    imageAdmin: wireImageAdmin(docker, config.engineTimeoutMs, new RegistryAllowlist(config.allowedRegistries)),
    close: async () => undefined,
  };
}
