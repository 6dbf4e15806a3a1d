import { z } from 'zod';
import { EVENT_TYPES } from '../domain/events/engine-event';
import { DomainError, type ErrorCode } from '../domain/errors';

/**
 * The WebSocket protocol of `/api/v1/ws` (described for people in asyncapi.yaml): JSON text frames,
 * client → server `subscribe` / `unsubscribe`, server → client frames that name the subscription.
 */
export const SUBPROTOCOL = 'dockhand.v1';

export const CHANNELS = ['events', 'job', 'logs', 'service-logs', 'stats', 'exec', 'attach'] as const;
export type ChannelName = (typeof CHANNELS)[number];

const subscriptionId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'must be 1-64 of [A-Za-z0-9_.:-]');
/** A container name or id, checked before it can reach an engine URL. */
const containerRef = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be a container name or id');
const short = z.string().min(1).max(512);
/** An engine's name (docker-context grammar); absent: `default`. */
const engineName = z
  .string()
  .min(2)
  .max(64)
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/, 'must be an engine name');

export const eventFiltersSchema = z
  .object({
    engine: z
      .array(z.union([z.literal('*'), engineName]))
      .max(20)
      .optional(),
    type: z.array(z.enum(EVENT_TYPES)).max(20).optional(),
    action: z
      .array(
        z
          .string()
          .min(1)
          .max(64)
          .regex(/^[a-z_]+$/, 'must be an engine action such as start or health_status'),
      )
      .max(20)
      .optional(),
    container: z.array(containerRef).max(20).optional(),
    image: z.array(short).max(20).optional(),
    label: z.array(short).max(20).optional(),
  })
  .strict();

const base = { type: z.literal('subscribe'), id: subscriptionId };

export const subscribeEvents = z
  .object({ ...base, channel: z.literal('events'), filters: eventFiltersSchema.optional(), since: z.number().int().min(0).optional() })
  .strict();
export const subscribeJob = z
  .object({
    ...base,
    channel: z.literal('job'),
    jobId: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/, 'must be a job id'),
  })
  .strict();
export const subscribeLogs = z
  .object({
    ...base,
    channel: z.literal('logs'),
    engine: engineName.optional(),
    container: containerRef,
    tail: z.number().int().min(0).max(10000).optional(),
    /** Unix seconds, fractions allowed. */
    since: z.number().min(0).optional(),
  })
  .strict();
export const subscribeServiceLogs = z
  .object({
    ...base,
    channel: z.literal('service-logs'),
    /** The swarm manager to ask; absent: `default`. */
    engine: engineName.optional(),
    service: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be a service id or name'),
    task: z
      .string()
      .regex(/^[a-z0-9]{25}$/, 'must be a task id')
      .optional(),
    tail: z.number().int().min(0).max(10000).optional(),
    /** Unix seconds, fractions allowed. */
    since: z.number().min(0).optional(),
  })
  .strict();
export const subscribeStats = z
  .object({
    ...base,
    channel: z.literal('stats'),
    engine: engineName.optional(),
    container: containerRef,
    interval: z.number().int().min(1).max(60).optional(),
  })
  .strict();

// Terminals (exec, attach): an optional starting size and how output bytes are carried.
const terminalSize = { cols: z.number().int().min(1).max(1000).optional(), rows: z.number().int().min(1).max(1000).optional() };
const outputEncoding = z.enum(['utf8', 'base64']).optional();
export const subscribeExec = z
  .object({
    ...base,
    channel: z.literal('exec'),
    engine: engineName.optional(),
    execId: z.string().regex(/^[a-f0-9]{64}$/, 'must be an exec id (64 lowercase hex digits)'),
    ...terminalSize,
    encoding: outputEncoding,
  })
  .strict();
export const subscribeAttach = z
  .object({
    ...base,
    channel: z.literal('attach'),
    engine: engineName.optional(),
    container: containerRef,
    ...terminalSize,
    encoding: outputEncoding,
  })
  .strict();

const subscribeFrame = z.discriminatedUnion('channel', [
  subscribeEvents,
  subscribeJob,
  subscribeLogs,
  subscribeServiceLogs,
  subscribeStats,
  subscribeExec,
  subscribeAttach,
]);
const unsubscribeFrame = z.object({ type: z.literal('unsubscribe'), id: subscriptionId }).strict();

/** Largest input one `stdin` frame carries (decoded bytes); paste more in several frames. */
export const MAX_STDIN_BYTES = 8 * 1024;
const stdinFrame = z
  .object({
    type: z.literal('stdin'),
    id: subscriptionId,
    data: z.string().max(Math.ceil(MAX_STDIN_BYTES / 3) * 4),
    encoding: z.enum(['utf8', 'base64']).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.encoding === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(f.data)) ctx.addIssue({ code: 'custom', path: ['data'], message: 'is not base64' });
    else if (Buffer.byteLength(f.data, f.encoding === 'base64' ? 'base64' : 'utf8') > MAX_STDIN_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['data'], message: `at most ${MAX_STDIN_BYTES} bytes per frame` });
    }
  });
const resizeFrame = z
  .object({ type: z.literal('resize'), id: subscriptionId, cols: z.number().int().min(1).max(1000), rows: z.number().int().min(1).max(1000) })
  .strict();

export type SubscribeEvents = z.infer<typeof subscribeEvents>;
export type SubscribeJob = z.infer<typeof subscribeJob>;
export type SubscribeLogs = z.infer<typeof subscribeLogs>;
export type SubscribeServiceLogs = z.infer<typeof subscribeServiceLogs>;
export type SubscribeStats = z.infer<typeof subscribeStats>;
export type SubscribeExec = z.infer<typeof subscribeExec>;
export type SubscribeAttach = z.infer<typeof subscribeAttach>;
export type StdinFrame = z.infer<typeof stdinFrame>;
export type ResizeFrame = z.infer<typeof resizeFrame>;
/** Client frames addressed to a running terminal subscription. */
export type InputFrame = StdinFrame | ResizeFrame;
export type SubscribeFrame = z.infer<typeof subscribeFrame>;
export type UnsubscribeFrame = z.infer<typeof unsubscribeFrame>;
export type ClientFrame = SubscribeFrame | UnsubscribeFrame | InputFrame;

/** Every client frame by its `type`: the schemas asyncapi.yaml's client messages must agree with (test/unit/asyncapi-zod.test.ts). */
export const CLIENT_FRAME_SCHEMAS = { subscribe: subscribeFrame, unsubscribe: unsubscribeFrame, stdin: stdinFrame, resize: resizeFrame } as const;

export const SERVER_FRAME_TYPES = ['subscribed', 'event', 'progress', 'log', 'stats', 'output', 'end', 'error'] as const;
export type ServerFrameType = (typeof SERVER_FRAME_TYPES)[number];

export interface ServerFrame<T = unknown> {
  /** The subscription the frame belongs to; null for errors about a frame that named none. */
  id: string | null;
  type: ServerFrameType;
  seq: number;
  data: T;
}

export interface ErrorData {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export type ParseResult = { ok: true; frame: ClientFrame } | { ok: false; id: string | null; error: DomainError };

const idOf = (v: unknown): string | null => {
  const id = (v as { id?: unknown } | null)?.id;
  return typeof id === 'string' && subscriptionId.safeParse(id).success ? id : null;
};

/** Parses one text frame; a bad one becomes an invalid_request naming each wrong field. */
export function parseClientFrame(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, id: null, error: new DomainError('invalid_request', 'the frame is not valid JSON') };
  }
  const type = (value as { type?: unknown } | null)?.type;
  const schema =
    type === 'subscribe'
      ? subscribeFrame
      : type === 'unsubscribe'
        ? unsubscribeFrame
        : type === 'stdin'
          ? stdinFrame
          : type === 'resize'
            ? resizeFrame
            : undefined;
  if (!schema) {
    return {
      ok: false,
      id: idOf(value),
      error: new DomainError('invalid_request', 'type must be "subscribe", "unsubscribe", "stdin" or "resize"', {
        errors: [{ path: 'type', message: 'must be subscribe, unsubscribe, stdin or resize' }],
      }),
    };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(frame)', message: i.message }));
    // A bad input frame must not read as the end of the session it names: its error carries id null.
    const input = type === 'stdin' || type === 'resize';
    const details = input && idOf(value) !== null ? { errors, subscription: idOf(value) } : { errors };
    return {
      ok: false,
      id: input ? null : idOf(value),
      error: new DomainError('invalid_request', errors.map((e) => `${e.path}: ${e.message}`).join('; '), details),
    };
  }
  return { ok: true, frame: parsed.data };
}

/** A frame as text. `rawData` is already-serialized JSON (events are serialized once for every subscriber). */
export function encodeFrame(id: string | null, type: ServerFrameType, seq: number, data: unknown, rawData?: string): string {
  return `{"id":${JSON.stringify(id)},"type":"${type}","seq":${seq},"data":${rawData ?? JSON.stringify(data)}}`;
}

export function errorData(err: DomainError): ErrorData {
  return { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
}
