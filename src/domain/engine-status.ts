export interface EngineVersion {
  version: string;
  apiVersion: string;
  minApiVersion: string;
  os: string;
  arch: string;
  kernelVersion: string;
}

/** The engine as a whole: is it there, and what is it. */
export interface EngineStatus {
  ping(): Promise<void>;
  version(): Promise<EngineVersion>;
}
