import type Docker from 'dockerode';
import type { EngineInfo, EngineStatus, EngineVersion } from '../domain/engine-status';
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

  async info(): Promise<EngineInfo> {
    const i = (await engineCall(() => this.docker.info(), { timeoutMs: this.timeoutMs })) as {
      ID?: string;
      Name?: string;
      Containers?: number;
      Images?: number;
      Swarm?: { LocalNodeState?: string };
    };
    return {
      id: i.ID ?? '',
      hostname: i.Name ?? '',
      swarm: i.Swarm?.LocalNodeState || 'inactive',
      containers: i.Containers ?? 0,
      images: i.Images ?? 0,
    };
  }
}
