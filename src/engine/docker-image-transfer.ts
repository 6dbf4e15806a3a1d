import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ImageTransfer, PullTarget, PushTarget } from '../domain/images/image-transfer';
import { streamError, type ProgressMessage } from '../domain/jobs/progress-message';
import type { RegistryCredentials } from '../domain/registries/registry';
import { DomainError } from '../domain/errors';
import { engineCall, transferErrorCode } from './engine-errors';
import { jsonLines } from './json-lines';
import { encodeRegistryAuth } from './registry-auth';

/** The engine's progress lines, each `{error}` line carrying our reading of it (errorCode). */
export const asMessages = async function* (stream: AsyncIterable<Buffer | string>): AsyncGenerator<ProgressMessage> {
  for await (const line of jsonLines(stream)) {
    if (line === null || typeof line !== 'object' || Array.isArray(line)) continue;
    const error = streamError(line);
    yield error === undefined ? line : { ...line, errorCode: transferErrorCode(error) };
  }
};

const abortedBy = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => {
    const fail = () => reject(new DomainError('engine_error', 'the transfer was aborted before the engine answered'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });

/**
 * Dials a pull or push and ties the engine stream to `signal`: aborting destroys the response, which
 * closes the connection and makes the engine abandon the transfer. The signal is not handed to dockerode:
 * Node would then destroy the finished request again on a late abort and raise an unhandled AbortError.
 * A stream that arrives after the caller gave up (aborted, timed out) is destroyed on arrival.
 */
async function openStream(
  dial: () => Promise<NodeJS.ReadableStream>,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<AsyncIterable<ProgressMessage>> {
  let abandoned = false;
  const call = dial();
  call.then(
    (s) => abandoned && (s as Readable).destroy(),
    () => undefined,
  );
  let stream: Readable;
  try {
    stream = (await engineCall(() => Promise.race([call, abortedBy(signal)]), {
      notFound: 'image_not_found',
      timeoutMs,
      registryCall: true,
    })) as Readable;
  } catch (err) {
    abandoned = true;
    throw err;
  }
  // The iteration sees stream errors itself; this keeps an error after it stopped reading from going uncaught.
  stream.on('error', () => undefined);
  const destroy = () => stream.destroy();
  if (signal.aborted) destroy();
  signal.addEventListener('abort', destroy, { once: true });
  stream.once('close', () => signal.removeEventListener('abort', destroy));
  return asMessages(stream);
}

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
    const opts: Record<string, unknown> = { fromImage: target.name, tag: target.tagOrDigest };
    if (target.platform) opts.platform = target.platform;
    const auth = creds ? { base64: encodeRegistryAuth(creds) } : undefined;
    return openStream(() => this.streaming.createImage(auth as never, opts), signal, this.startTimeoutMs);
  }

  async push(target: PushTarget, creds: RegistryCredentials | undefined, signal: AbortSignal): Promise<AsyncIterable<ProgressMessage>> {
    // Always send the header: without it this engine reads credentials from the (empty) body and answers 400.
    const opts = { tag: target.tag, authconfig: { base64: encodeRegistryAuth(creds) } };
    return openStream(() => this.streaming.getImage(target.name).push(opts), signal, this.startTimeoutMs);
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
