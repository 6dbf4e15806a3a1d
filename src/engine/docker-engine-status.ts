import type Docker from 'dockerode';
import type { EngineStatus, EngineVersion } from '../domain/engine-status';
import { engineCall } from './engine-errors';

export class DockerEngineStatus implements EngineStatus {
  constructor(
    private readonly docker: Docker,
    private readonly timeoutMs: number,
  ) {}

  async ping(): Promise<void> {
    await engineCall(() => this.docker.ping(), { timeoutMs: this.timeoutMs });
  }

  async version(): Promise<EngineVersion> {
    const v = await engineCall(() => this.docker.version(), { timeoutMs: this.timeoutMs });
    return {
      version: v.Version,
      apiVersion: v.ApiVersion,
      minApiVersion: v.MinAPIVersion ?? '',
      os: v.Os,
      arch: v.Arch,
      kernelVersion: v.KernelVersion ?? '',
    };
  }
}
