import type { ImageDetails, ImageHistoryEntry, ImageListFilter, ImageRepository, ImageSummary } from './image-repository';
import type { ReadOptions } from '../read-options';
import { parseImageLookup } from './reference';
import { checkReferencePattern } from './reference-pattern';

/** Image reads. Every identifier is checked against the reference grammar before the engine sees it. */
export class ImageService {
  constructor(private readonly images: ImageRepository) {}

  list(filter: ImageListFilter, read?: ReadOptions): Promise<ImageSummary[]> {
    filter.reference?.forEach(checkReferencePattern);
    return this.images.list(filter, read);
  }

  inspect(ref: string, read?: ReadOptions): Promise<ImageDetails> {
    return this.images.inspect(parseImageLookup(ref).engineName, read);
  }

  history(ref: string): Promise<ImageHistoryEntry[]> {
    return this.images.history(parseImageLookup(ref).engineName);
  }
}
