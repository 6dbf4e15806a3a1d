/**
 * How other domains (container create with `pull: missing|always`) get an image: through a pull job, so the
 * pull is visible, shared with concurrent requests for the same reference, and cancellable.
 */
export interface ImagePuller {
  /**
   * Pulls `reference` (validated, allowlisted) and resolves when the image is present. Throws a DomainError
   * carrying the job's failure (registry_not_allowed, image_not_found, registry_unreachable, …).
   */
  pullAndWait(reference: string, opts: { createdBy: string; registryId?: string }): Promise<{ jobId: string }>;
}
