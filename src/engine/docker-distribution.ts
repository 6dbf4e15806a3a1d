import type Docker from 'dockerode';
import {
  ManifestLookupError,
  type ManifestCredentials,
  type ManifestSource,
  type ManifestTarget,
  type RemoteManifest,
} from '../domain/updates/image-update';
import { familiarName } from '../domain/images/reference';
import { encodeRegistryAuth } from './registry-auth';

/**
 * The engine's distribution inspect (`GET /distribution/{name}/json`): the engine asks the registry for the tag's
 * descriptor, as a pull would (so it counts like one on registries that meter GETs). The fallback when a HEAD gives
 * no digest. The engine answers 401 both for a refused login and for an unknown repository.
 */
export class DockerDistribution implements ManifestSource {
  constructor(
    private readonly docker: Docker,
    private readonly timeoutMs: number,
  ) {}

  async digestOf(target: ManifestTarget, creds: ManifestCredentials | undefined, signal: AbortSignal): Promise<RemoteManifest> {
    const name = `${familiarName({ registry: target.registry, repository: target.repository })}:${target.tag}`;
    const call = this.docker
      .getImage(name)
      .distribution({ authconfig: { base64: encodeRegistryAuth(creds) } } as never) as unknown as Promise<unknown>;
    call.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ManifestLookupError('registry_unreachable', `the engine did not get ${name}'s descriptor in time`)),
        this.timeoutMs,
      );
      signal.addEventListener('abort', () => reject(new ManifestLookupError('registry_unreachable', 'the check was aborted')), { once: true });
    });
    try {
      const d = (await Promise.race([call, bounded])) as { Descriptor?: { digest?: string; mediaType?: string } };
      const digest = d?.Descriptor?.digest;
      if (!digest) throw new ManifestLookupError('registry_unreachable', `the engine gave no descriptor for ${name}`);
      return { digest, mediaType: d.Descriptor?.mediaType ?? '' };
    } catch (err) {
      if (err instanceof ManifestLookupError) throw err;
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 401 || status === 403) throw new ManifestLookupError('unauthorized', `the engine was refused ${name} (or it does not exist)`);
      if (status === 404) throw new ManifestLookupError('not_found', `${name} is not in the registry`);
      throw new ManifestLookupError('registry_unreachable', `the engine could not reach the registry of ${name}`);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
