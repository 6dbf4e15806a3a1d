import type { ImageDetails, ImageHistoryEntry, ImageListFilter, ImageRepository, ImageSummary } from './image-repository';
import { parseImageLookup } from './reference';
import { checkReferencePattern } from './reference-pattern';

/** Image reads. Every identifier is checked against the reference grammar before the engine sees it. */
export class ImageService {
  constructor(private readonly images: ImageRepository) {}

  list(filter: ImageListFilter): Promise<ImageSummary[]> {
    filter.reference?.forEach(checkReferencePattern);
    return this.images.list(filter);
  }

  inspect(ref: string): Promise<ImageDetails> {
    return this.images.inspect(parseImageLookup(ref).engineName);
  }

  history(ref: string): Promise<ImageHistoryEntry[]> {
    return this.images.history(parseImageLookup(ref).engineName);
  }
}
