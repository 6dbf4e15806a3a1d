import type { ImageDetails, ImageHistoryEntry, ImageListFilter, ImageRepository, ImageSummary } from './image-repository';
import type { ReadOptions } from '../read-options';
import { parseImageLookup } from './reference';
import { checkReferencePattern } from './reference-pattern';
import type { Role } from '../auth/roles';
import { redactCommand, redactCommandLine, redactEnv, redactLabels, refuseHiddenLabelFilters, seesSecrets, viewOnce } from '../auth/redaction';

const redactList = viewOnce<ImageSummary[]>((items) => items.map((i) => ({ ...i, labels: redactLabels(i.labels) })));
const redactDetails = viewOnce<ImageDetails>((d) => ({
  ...d,
  env: redactEnv(d.env),
  ...redactCommand(d.entrypoint, d.cmd),
  labels: redactLabels(d.labels),
}));

/**
 * Image reads. Every identifier is checked against the reference grammar before the engine sees it. Below admin,
 * answers follow the redaction policy (src/domain/auth/redaction.ts): env values, command lines, label values.
 */
export class ImageService {
  constructor(private readonly images: ImageRepository) {}

  async list(filter: ImageListFilter, read: ReadOptions | undefined, role: Role): Promise<ImageSummary[]> {
    filter.reference?.forEach(checkReferencePattern);
    refuseHiddenLabelFilters(filter.label, role);
    const items = await this.images.list(filter, read);
    return seesSecrets(role) ? items : redactList(items);
  }

  async inspect(ref: string, read: ReadOptions | undefined, role: Role): Promise<ImageDetails> {
    const d = await this.images.inspect(parseImageLookup(ref).engineName, read);
    return seesSecrets(role) ? d : redactDetails(d);
  }

  async history(ref: string, role: Role): Promise<ImageHistoryEntry[]> {
    const steps = await this.images.history(parseImageLookup(ref).engineName);
    // A build step is a command line (`/bin/sh -c #(nop)  ENV PASSWORD=…`, `RUN …`): the program only.
    return seesSecrets(role) ? steps : steps.map((s) => ({ ...s, createdBy: redactCommandLine(s.createdBy) }));
  }
}
