import type { ErrorCode } from '../errors';

/**
 * One line of the engine's pull or push progress stream (newline-delimited JSON), as the engine writes it.
 * Every field is optional: the stream mixes layer lines, status lines, `aux` results and `{error}` lines.
 */
export interface ProgressMessage {
  status?: string;
  /** A layer's short id on layer lines; the tag on the first "Pulling from" line. */
  id?: string;
  progressDetail?: { current?: number; total?: number };
  /** A failure inside a 200 stream: the pull or push failed. */
  error?: string;
  errorDetail?: { message?: string; code?: number };
  /** Not the engine's: the engine adapter's reading of an `{error}` line (the engine gives only text). */
  errorCode?: ErrorCode;
  aux?: unknown;
}

/** The message an `{error}` line carries, or undefined when the line is not an error. */
export function streamError(msg: ProgressMessage): string | undefined {
  if (msg.errorDetail?.message) return msg.errorDetail.message;
  if (typeof msg.error === 'string' && msg.error.length > 0) return msg.error;
  return undefined;
}
