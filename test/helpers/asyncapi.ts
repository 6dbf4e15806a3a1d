import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

/**
 * asyncapi.yaml as the checked truth of the WebSocket protocol: its message payload schemas, resolved, and a
 * validator of server frames against them (test/helpers/service.ts runs it on every frame a test service sends).
 */
export type JsonSchema = Record<string, unknown>;

const FILE = path.resolve(__dirname, '../../asyncapi.yaml');

let doc: JsonSchema | undefined;

export function asyncApiDocument(): JsonSchema {
  doc ??= YAML.parse(fs.readFileSync(FILE, 'utf8')) as JsonSchema;
  return doc;
}

const at = (root: unknown, pointer: string): unknown =>
  pointer
    .replace(/^#\//, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], root);

/** The schema with every local `$ref` replaced by what it points at (the document has no cycles). */
export function resolveRefs(node: unknown, root: unknown = asyncApiDocument()): unknown {
  if (Array.isArray(node)) return node.map((n) => resolveRefs(n, root));
  if (!node || typeof node !== 'object') return node;
  const ref = (node as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    const target = at(root, ref);
    if (target === undefined) throw new Error(`asyncapi.yaml: unresolved $ref ${ref}`);
    return resolveRefs(target, root);
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveRefs(v, root)]));
}

/** Message name → its payload schema, resolved. */
export function messagePayload(name: string): JsonSchema {
  const messages = (asyncApiDocument().components as { messages: Record<string, { payload: unknown }> }).messages;
  if (!messages[name]) throw new Error(`asyncapi.yaml has no message "${name}"`);
  return resolveRefs(messages[name].payload) as JsonSchema;
}

/** The message names an operation of the given action (`send`: client → server, `receive`) lists. */
export function operationMessages(action: 'send' | 'receive'): string[] {
  const ops = asyncApiDocument().operations as Record<string, { action: string; messages: { $ref: string }[] }>;
  return Object.values(ops)
    .filter((o) => o.action === action)
    .flatMap((o) => o.messages.map((m) => m.$ref.split('/').pop()!));
}

let validators: Map<string, ValidateFunction> | undefined;

function serverValidators(): Map<string, ValidateFunction> {
  if (validators) return validators;
  // AsyncAPI schemas are JSON Schema draft 7 plus a few annotation keywords (strict off lets those pass).
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  validators = new Map(operationMessages('receive').map((name) => [name, ajv.compile(messagePayload(name))]));
  return validators;
}

/** Why a server frame breaks asyncapi.yaml, or undefined when it conforms. */
export function serverFrameMismatch(text: string): string | undefined {
  let frame: { type?: unknown };
  try {
    frame = JSON.parse(text) as { type?: unknown };
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
  const type = frame?.type;
  const validate = typeof type === 'string' ? serverValidators().get(type) : undefined;
  if (!validate) return `type ${JSON.stringify(type)} is not a server message of asyncapi.yaml: ${text.slice(0, 200)}`;
  if (validate(frame)) return undefined;
  const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '(frame)'} ${e.message} ${JSON.stringify(e.params)}`).join('; ');
  return `${String(type)} frame breaks asyncapi.yaml: ${errors}: ${text.slice(0, 300)}`;
}

const mismatches: string[] = [];

/** A frame observer for a test service: remembers every frame that breaks the contract. */
export function recordServerFrame(text: string): void {
  const why = serverFrameMismatch(text);
  if (why) mismatches.push(why);
}

/** The mismatches seen since the last call, cleared. */
export function takeFrameMismatches(): string[] {
  return mismatches.splice(0, mismatches.length);
}
