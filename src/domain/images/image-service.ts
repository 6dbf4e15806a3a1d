import type { ImageDetails, ImageHistoryEntry, ImageListFilter, ImageRepository, ImageSummary } from './image-repository';
import { parseImageLookup } from './reference';

/** Image reads. Every identifier is checked against the reference grammar before the engine sees it. */
export class ImageService {
  constructor(private readonly images: ImageRepository) {}

  list(filter: ImageListFilter): Promise<ImageSummary[]> {
    return this.images.list(filter);
  }

  inspect(ref: string): Promise<ImageDetails> {
    return this.images.inspect(parseImageLookup(ref).engineName);
  }

  history(ref: string): Promise<ImageHistoryEntry[]> {
    return this.images.history(parseImageLookup(ref).engineName);
  }
}
