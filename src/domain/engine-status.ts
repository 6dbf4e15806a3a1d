export interface EngineVersion {
  version: string;
  apiVersion: string;
  minApiVersion: string;
  os: string;
  arch: string;
  kernelVersion: string;
}

/** What `GET /info` says of the engine as a whole, in our words. */
export interface EngineInfo {
  /** The daemon's own id (stable across restarts). */
  id: string;
  /** The host's name as the daemon reports it. */
  hostname: string;
  /** Swarm mode of this node: inactive, pending, active, error or locked. */
  swarm: string;
  containers: number;
  images: number;
}

/** The engine as a whole: is it there, and what is it. */
export interface EngineStatus {
  ping(): Promise<void>;
  version(): Promise<EngineVersion>;
  info(): Promise<EngineInfo>;
}
