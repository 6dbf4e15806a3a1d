import { z } from 'zod';
import { CLIENT_FRAME_SCHEMAS, SERVER_FRAME_TYPES, parseClientFrame } from '../../src/ws/protocol';
import { asyncApiDocument, messagePayload, operationMessages, serverFrameMismatch, type JsonSchema } from '../helpers/asyncapi';

/**
 * The zod schemas in src/ws/protocol.ts decide what the server accepts; asyncapi.yaml says what clients may send.
 * They must be the same schemas: both are reduced to the keywords that decide validity and compared whole, so a
 * field, bound, pattern, enum value or required flag added on one side only fails here (in either direction).
 */

/** Keywords that only describe (or that zod adds with no meaning for validity) are dropped. */
const ANNOTATIONS = new Set(['description', 'default', 'examples', 'title', '$schema']);

function canonical(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(canonical);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as JsonSchema)) {
    if (ANNOTATIONS.has(k)) continue;
    // zod bounds integers by Number.MAX_SAFE_INTEGER, which JSON Schema leaves unsaid.
    if ((k === 'maximum' && v === Number.MAX_SAFE_INTEGER) || (k === 'minimum' && v === Number.MIN_SAFE_INTEGER)) continue;
    out[k] = k === 'required' || k === 'enum' ? [...(v as string[])].sort() : canonical(v);
  }
  // `const`/`enum` already fix the type; zod spells it out, the document leaves it implied.
  if (('const' in out || 'enum' in out) && typeof out.type === 'string') delete out.type;
  // The alternatives of a oneOf are a set (keyed by their JSON).
  if (Array.isArray(out.oneOf)) out.oneOf = [...out.oneOf].sort((a, b) => stableJson(a).localeCompare(stableJson(b)));
  return out;
}

const stableJson = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(stableJson).join(',')}]`
    : v && typeof v === 'object'
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(v);

const fromZod = (schema: z.ZodType) => canonical(z.toJSONSchema(schema, { io: 'input' }));
const fromDoc = (message: string) => canonical(messagePayload(message));

describe('client frames: the zod schemas and asyncapi.yaml are the same', () => {
  test('when the document lists what clients send, then it is exactly the frame types the server parses', () => {
    expect([...operationMessages('send')].sort()).toEqual(Object.keys(CLIENT_FRAME_SCHEMAS).sort());
  });

  test.each(Object.keys(CLIENT_FRAME_SCHEMAS) as (keyof typeof CLIENT_FRAME_SCHEMAS)[])(
    'when a %s frame is described, then both say the same',
    (type) => {
      expect(fromDoc(type)).toEqual(fromZod(CLIENT_FRAME_SCHEMAS[type]));
    },
  );

  test('when the comparison is given a schema that differs by one bound, then it sees the difference', () => {
    const wider = z
      .object({
        type: z.literal('resize'),
        id: z
          .string()
          .min(1)
          .max(64)
          .regex(/^[A-Za-z0-9_.:-]+$/),
        cols: z.number().int().min(1).max(2000),
        rows: z.number().int().min(1).max(1000),
      })
      .strict();
    expect(fromDoc('resize')).not.toEqual(fromZod(wider));
  });

  test('when the document gives an example of a client frame, then the server accepts it', () => {
    const messages = (asyncApiDocument().components as { messages: Record<string, { examples?: { payload: unknown }[] }> }).messages;
    const examples = operationMessages('send').flatMap((m) => (messages[m].examples ?? []).map((e) => e.payload));
    expect(examples.length).toBeGreaterThan(5);
    for (const ex of examples) expect(parseClientFrame(JSON.stringify(ex))).toMatchObject({ ok: true });
  });
});

describe('server frames: the document names every frame type the server sends', () => {
  test('when the document lists what clients receive, then it is exactly the server frame types', () => {
    expect([...operationMessages('receive')].sort()).toEqual([...SERVER_FRAME_TYPES].sort());
    const envelope = (asyncApiDocument().components as { schemas: { FrameEnvelope: { properties: { type: { enum: string[] } } } } }).schemas
      .FrameEnvelope;
    expect([...envelope.properties.type.enum].sort()).toEqual([...SERVER_FRAME_TYPES].sort());
  });

  test('when the document gives an example of a server frame, then it conforms to its own schema', () => {
    const messages = (asyncApiDocument().components as { messages: Record<string, { examples?: { payload: unknown }[] }> }).messages;
    const examples = operationMessages('receive').flatMap((m) => (messages[m].examples ?? []).map((e) => e.payload));
    expect(examples.length).toBeGreaterThan(0);
    for (const ex of examples) expect(serverFrameMismatch(JSON.stringify(ex))).toBeUndefined();
  });

  test('when a server frame has a field or type the document does not allow, then the check says so', () => {
    expect(serverFrameMismatch(JSON.stringify({ id: 'a', type: 'end', seq: 1, data: { reason: 'unsubscribed' } }))).toBeUndefined();
    expect(serverFrameMismatch(JSON.stringify({ id: 'a', type: 'end', seq: 1, data: {} }))).toMatch(/reason/);
    expect(serverFrameMismatch(JSON.stringify({ id: 'a', type: 'bogus', seq: 1, data: {} }))).toMatch(/not a server message/);
    expect(serverFrameMismatch(JSON.stringify({ id: 'a', type: 'log', seq: -1, data: { stream: 'stdout', timestamp: null, line: 'x' } }))).toMatch(
      /seq/,
    );
  });
});
