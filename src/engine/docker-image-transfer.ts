import type Docker from 'dockerode';
import type { ImageTransfer, PullTarget, PushTarget } from '../domain/images/image-transfer';
import type { ProgressMessage } from '../domain/jobs/progress-message';
import type { RegistryCredentials } from '../domain/registries/registry';
import { DomainError } from '../domain/errors';
import { engineCall } from './engine-errors';
import { jsonLines } from './json-lines';
import { encodeRegistryAuth } from './registry-auth';

const asMessages = async function* (stream: NodeJS.ReadableStream): AsyncGenerator<ProgressMessage> {
  for await (const line of jsonLines(stream as AsyncIterable<Buffer>)) {
    if (line !== null && typeof line === 'object' && !Array.isArray(line)) yield line as ProgressMessage;
  }
};

export class DockerImageTransfer implements ImageTransfer {
  /**
   * @param api client bounded by the engine timeout, for inspect and tag.
   * @param streaming client without a socket timeout, for pull and push streams.
   * @param startTimeoutMs how long the engine may take to start answering a pull or push (it resolves
   *   the manifest first, so a registry that does not answer delays the first byte).
   */
  constructor(
    private readonly api: Docker,
    private readonly streaming: Docker,
    private readonly timeoutMs: number,
    private readonly startTimeoutMs: number,
  ) {}

  async pull(target: PullTarget, creds: RegistryCredentials | undefined, signal: AbortSignal): Promise<AsyncIterable<ProgressMessage>> {
    if (!target.tagOrDigest) throw new DomainError('internal_error', 'a pull needs a tag or digest: an empty tag pulls every tag');
    const opts: Record<string, unknown> = { fromImage: target.name, tag: target.tagOrDigest, abortSignal: signal };
    if (target.platform) opts.platform = target.platform;
    const auth = creds ? { base64: encodeRegistryAuth(creds) } : undefined;
    const stream = (await engineCall(() => this.streaming.createImage(auth as never, opts) as Promise<NodeJS.ReadableStream>, {
      notFound: 'image_not_found',
      timeoutMs: this.startTimeoutMs,
    })) as NodeJS.ReadableStream;
    return asMessages(stream);
  }

  async push(target: PushTarget, creds: RegistryCredentials | undefined, signal: AbortSignal): Promise<AsyncIterable<ProgressMessage>> {
    // Always send the header: without it this engine reads credentials from the (empty) body and answers 400.
    const opts = { tag: target.tag, abortSignal: signal, authconfig: { base64: encodeRegistryAuth(creds) } };
    const stream = (await engineCall(() => this.streaming.getImage(target.name).push(opts) as Promise<NodeJS.ReadableStream>, {
      notFound: 'image_not_found',
      timeoutMs: this.startTimeoutMs,
    })) as NodeJS.ReadableStream;
    return asMessages(stream);
  }

  async isPresent(name: string): Promise<boolean> {
    try {
      await engineCall(() => this.api.getImage(name).inspect(), { notFound: 'image_not_found', timeoutMs: this.timeoutMs });
      return true;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'image_not_found') return false;
      throw err;
    }
  }

  async tag(source: string, repository: string, tag: string): Promise<void> {
    await engineCall(() => this.api.getImage(source).tag({ repo: repository, tag }), {
      notFound: 'image_not_found',
      timeoutMs: this.timeoutMs,
    });
  }
}
