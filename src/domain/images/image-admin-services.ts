import type { ImagePruneService } from './image-prune-service';
import type { ImageRemovalService } from './image-removal-service';
import type { ImageSearchService } from './image-search';
import type { DiskUsageService } from '../system/disk-usage';

/** Image removal, prune, search and disk usage: built by the composition root, served by the image admin router. */
export interface ImageAdminServices {
  removal: ImageRemovalService;
  prune: ImagePruneService;
  search: ImageSearchService;
  diskUsage: DiskUsageService;
}
