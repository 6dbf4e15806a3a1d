import type { ImageAdminServices } from './domain/images/image-admin-services';
import { ImagePruneService } from './domain/images/image-prune-service';
import { ImageRemovalService } from './domain/images/image-removal-service';
import { ImageSearchService } from './domain/images/image-search';
import type { RegistryAllowlist, RegistryStore } from './domain/registries/registry';
import { DiskUsageService } from './domain/system/disk-usage';
import type { EngineDiskUsage } from './domain/images/image-admin-engine';
import type { DiskUsageCache } from './engine/disk-usage-cache';
import type { DockerClients } from './engine/docker-client';
import { DockerHubSearch } from './engine/docker-hub-search';
import { DockerImageAdmin } from './engine/docker-image-admin';
import { RegistryCatalogClient } from './engine/registry-catalog-client';

/** The image admin part of the composition root: removal, prune, search, disk usage. No I/O here. */
export function wireImageAdmin(
  docker: DockerClients,
  engineTimeoutMs: number,
  diskUsage: DiskUsageCache<EngineDiskUsage>,
  allowlist: RegistryAllowlist,
  store?: RegistryStore,
): ImageAdminServices {
  // Previews and the disk-usage report share the image list's df gate: the engine refuses a second df at once.
  const admin = new DockerImageAdmin(docker.api, docker.streaming, engineTimeoutMs, diskUsage);
  return {
    removal: new ImageRemovalService(admin),
    prune: new ImagePruneService(admin),
    // Hub search aborts on its own bound, so it goes through the client without a socket timeout.
    search: new ImageSearchService({ hub: new DockerHubSearch(docker.streaming), catalog: new RegistryCatalogClient(), allowlist, store }),
    diskUsage: new DiskUsageService(admin),
  };
}
