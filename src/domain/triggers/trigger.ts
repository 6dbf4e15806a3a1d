/**
 * What a trigger does: `redeploy` a container (pull its image, or another tag of its repository, and recreate it), or
 * `service_update` a swarm service (its image, or another tag of its repository, pinned again and rolled out).
 */
export type TriggerAction = 'redeploy' | 'service_update';

/** An inbound trigger: its token is shown once, at creation, and kept only as its SHA-256. */
export interface Trigger {
  id: string;
  action: TriggerAction;
  /** The engine the container runs on (`default` for the plain paths' engine). */
  engine: string;
  /** The container's name, or the swarm service's name or id. */
  target: string;
  createdAt: string;
}

/** Where triggers are kept (the domain's port; src/store holds the SQLite implementation). */
export interface TriggerStore {
  create(t: Trigger, tokenHash: string): void;
  list(): Trigger[];
  /** Every trigger with its token's hash, for the constant-time search. */
  hashes(): { trigger: Trigger; tokenHash: Buffer }[];
  remove(id: string): boolean;
}
