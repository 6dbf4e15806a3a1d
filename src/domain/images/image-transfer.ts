import type { ProgressMessage } from '../jobs/progress-message';
import type { RegistryCredentials } from '../registries/registry';

/** What to pull: names already validated and normalized by the domain (never a request body). */
export interface PullTarget {
  /** Repository with its registry, e.g. `127.0.0.1:5000/team/app`. */
  name: string;
  /** A tag or a digest, never neither: an empty tag would make the engine pull every tag. */
  tagOrDigest: string;
  /** `os/arch[/variant]`. */
  platform?: string;
}

export interface PushTarget {
  name: string;
  tag: string;
}

/**
 * Moving images between the engine and registries. `pull` and `push` resolve once the engine has accepted
 * the request and yield its progress lines as they come; aborting `signal` closes the engine stream,
 * which makes the engine abandon the transfer. Ending the iteration early does the same.
 */
export interface ImageTransfer {
  pull(target: PullTarget, creds: RegistryCredentials | undefined, signal: AbortSignal): Promise<AsyncIterable<ProgressMessage>>;
  push(target: PushTarget, creds: RegistryCredentials | undefined, signal: AbortSignal): Promise<AsyncIterable<ProgressMessage>>;
  /** True when the engine has an image by this name (a reference or an id). */
  isPresent(name: string): Promise<boolean>;
  /** Adds `repository:tag` to the image `source`. Throws image_not_found. */
  tag(source: string, repository: string, tag: string): Promise<void>;
}
