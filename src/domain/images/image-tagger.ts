import type { ImageRepository } from './image-repository';
import type { ImageTransfer } from './image-transfer';
import { parseImageLookup, resolveReference } from './reference';

/** `docker tag`: both names checked against the reference grammar before the engine sees them. */
export class ImageTagger {
  constructor(
    private readonly transfer: ImageTransfer,
    private readonly images: ImageRepository,
  ) {}

  async tag(ref: string, repository: string, tag: string): Promise<{ id: string; image: string }> {
    const source = parseImageLookup(ref).engineName;
    // Parsed as one reference so that a repository carrying its own ":tag" or "@digest" is refused.
    const target = resolveReference(`${repository}:${tag}`);
    await this.transfer.tag(source, target.name, tag);
    const image = target.full;
    return { id: (await this.images.inspect(image)).id, image };
  }
}
