import { DomainError, isDomainError, type ErrorCode } from '../domain/errors';

/** What a dockerode call failed with: an HTTP status from the engine, or a transport error code. */
interface EngineFailure {
  statusCode?: number;
  code?: string;
  /** A transport error's target: the socket path or host it could not reach. */
  address?: string;
  port?: number;
  message?: string;
  json?: { message?: string } | null;
  reason?: string;
}

const TRANSPORT_UNAVAILABLE = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'ENOTFOUND']);

/** The engine's own explanation, taken from its JSON body when there is one. */
export function engineMessage(err: unknown): string {
  const e = err as EngineFailure;
  const fromJson = e?.json && typeof e.json === 'object' ? e.json.message : undefined;
  if (fromJson) return withoutEcho(fromJson);
  const msg = e?.message ?? String(err);
  // dockerode formats "(HTTP code 404) no such image - No such image: x "; keep the engine's part.
  const m = /^\(HTTP code \d+\)[^-]*- (.*)$/s.exec(msg);
  return withoutEcho((m ? m[1] : msg).trim());
}

/** Engine 20.10 says some things twice: "no such image: x: No such image: x" → "No such image: x". */
export function withoutEcho(message: string): string {
  for (let i = message.indexOf(': '); i > 0; i = message.indexOf(': ', i + 1)) {
    const head = message.slice(0, i);
    const tail = message.slice(i + 2);
    if (head.toLowerCase() === tail.toLowerCase()) return tail;
  }
  return message;
}

/**
 * How the engine reports that it could not reach a registry (it answers 500 with Go's dial error as its only
 * message): DNS, refused or timed-out connections, TLS handshakes. Only read on calls that go to a registry.
 */
const REGISTRY_UNREACHABLE = /\b(dial tcp|no such host|i\/o timeout|connection refused|network is unreachable|TLS handshake timeout)\b/;

/**
 * A registry connection that broke during a transfer. The engine retries a download and then gives up with the last
 * failure's text: "download failed after attempts=6: EOF" when the registry dropped the connection each time (the
 * count alone says nothing: a full disk fails the same way).
 */
const REGISTRY_CONNECTION_BROKEN = /\b(connection reset by peer|unexpected EOF|broken pipe)\b|: EOF$/;
/** A registry's refusal as the distribution API words it; a bare "permission denied" is a local file, not the registry. */
const REGISTRY_REFUSED_CREDENTIALS =
  /\b(unauthorized(: |$)|authentication required|no basic auth credentials|requested access to the resource is denied)|(^|: )denied: /i;

/**
 * What an `{error}` line inside a pull or push stream means. The engine has already answered 200 by then, so its
 * registry failures arrive only as text: a registry that went away mid-transfer is registry_unreachable, one that
 * refused the credentials registry_auth_failed, anything else engine_error.
 */
export function transferErrorCode(message: string): ErrorCode {
  if (REGISTRY_UNREACHABLE.test(message) || REGISTRY_CONNECTION_BROKEN.test(message)) return 'registry_unreachable';
  if (REGISTRY_REFUSED_CREDENTIALS.test(message)) return 'registry_auth_failed';
  return 'engine_error';
}

/**
 * Maps an engine failure to a DomainError. `notFound` names the code a 404 means for this call
 * (image_not_found, container_not_found …); `conflict` the code for 409. Decided on status codes, never on text.
 */
export function toDomainError(err: unknown, map: { notFound?: ErrorCode; conflict?: ErrorCode; registryCall?: boolean } = {}): DomainError {
  if (isDomainError(err)) return err;
  const e = err as EngineFailure;
  const message = engineMessage(err);
  if (typeof e?.statusCode === 'number') {
    if (e.statusCode === 404) return new DomainError(map.notFound ?? 'not_found', message);
    if (e.statusCode === 409) return new DomainError(map.conflict ?? 'conflict', message);
    if (e.statusCode === 400) return new DomainError('invalid_request', message);
    if (e.statusCode === 401 || e.statusCode === 403) return new DomainError('registry_auth_failed', message);
    if (map.registryCall && e.statusCode >= 500 && REGISTRY_UNREACHABLE.test(message)) {
      return new DomainError('registry_unreachable', `the engine could not reach the registry: ${message}`);
    }
    return new DomainError('engine_error', `engine answered ${e.statusCode}: ${message}`);
  }
  if (e?.code && TRANSPORT_UNAVAILABLE.has(e.code)) {
    const where = e.address ? ` at ${e.address}${e.port ? `:${e.port}` : ''}` : '';
    return new DomainError('engine_unavailable', `the Docker engine cannot be reached${where} (${e.code})`);
  }
  if (e?.code === 'ETIMEDOUT' || e?.code === 'ESOCKETTIMEDOUT' || /timeout/i.test(e?.message ?? '')) {
    return new DomainError('engine_timeout', 'the Docker engine did not answer in time');
  }
  return new DomainError('engine_error', message);
}

export interface CallOptions {
  notFound?: ErrorCode;
  conflict?: ErrorCode;
  /** The call makes the engine talk to a registry (pull, push): its dial failures are registry_unreachable. */
  registryCall?: boolean;
  /** Fails with engine_timeout after this many ms (a hung daemon answers nothing, not even an error). */
  timeoutMs?: number;
}

/** Runs an engine call and turns its failures into DomainErrors. */
export async function engineCall<T>(fn: () => Promise<T>, opts: CallOptions = {}): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const call = fn();
    if (!opts.timeoutMs) return await call;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DomainError('engine_timeout', `the Docker engine did not answer within ${opts.timeoutMs} ms`)),
        opts.timeoutMs,
      );
    });
    call.catch(() => undefined); // the race's loser must not become an unhandled rejection
    return await Promise.race([call, timeout]);
  } catch (err) {
    throw toDomainError(err, opts);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
