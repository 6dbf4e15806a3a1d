/**
 * The engine-scoped half of the REST contract, generated from the one definition in openapi.yaml (never edited
 * twice): every path item marked `x-engine-scoped: true` also exists as `/api/v1/engines/{engine}/…`, with the
 * `engine` path parameter, an operationId ending in `OnEngine`, and a 404 for an engine that is not configured (or
 * not the token's). Schemas marked `x-fleet-item: true` get an `Engine…` twin with an `engine` field, for the fleet
 * views. The service validates against, serves and lints this expanded document.
 */
type Obj = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const PREFIX = '/api/v1';

const clone = <T>(v: T): T => structuredClone(v);

export function withEnginePaths(source: Obj): Obj {
  const doc = clone(source);
  const paths = doc.paths as Record<string, Obj>;
  const added: Record<string, Obj> = {};
  for (const [p, item] of Object.entries(paths)) {
    if (item['x-engine-scoped'] !== true) continue;
    if (!p.startsWith(`${PREFIX}/`)) throw new Error(`x-engine-scoped path ${p} is not under ${PREFIX}`);
    // A token limited to other engines is answered 404 engine_not_found at the plain path too.
    for (const m of METHODS) {
      const responses = (item[m] as Obj | undefined)?.responses as Obj | undefined;
      if (responses && !responses['404']) responses['404'] = { $ref: '#/components/responses/NotFound' };
    }
    const copy = clone(item);
    delete copy['x-engine-scoped'];
    for (const m of METHODS) {
      const op = copy[m] as Obj | undefined;
      if (!op) continue;
      op.operationId = `${op.operationId as string}OnEngine`;
      op.summary = `${op.summary as string} (on one engine)`;
      op.parameters = [{ $ref: '#/components/parameters/EngineName' }, ...((op.parameters as unknown[]) ?? [])];
      const responses = op.responses as Obj;
      if (!responses['404']) responses['404'] = { $ref: '#/components/responses/NotFound' };
    }
    added[`${PREFIX}/engines/{engine}${p.slice(PREFIX.length)}`] = copy;
  }
  doc.paths = { ...paths, ...added };
  const schemas = (doc.components as Obj).schemas as Record<string, Obj>;
  for (const [name, schema] of Object.entries(schemas)) {
    if (schema['x-fleet-item'] !== true) continue;
    const twin = clone(schema);
    delete twin['x-fleet-item'];
    twin.description = `${(schema.description as string | undefined) ?? name}, with the engine it is on (fleet views).`;
    twin.required = ['engine', ...((schema.required as string[]) ?? [])];
    twin.properties = { engine: { type: 'string', description: 'The engine it is on.' }, ...(schema.properties as Obj) };
    schemas[`Engine${name}`] = twin;
  }
  return doc;
}

/** The plain paths of engine-scoped operations (`/api/v1/images`, …): they mean the `default` engine. */
export function plainEngineScopedRoutes(doc: Obj): Set<string> {
  const paths = doc.paths as Record<string, Obj>;
  return new Set(Object.keys(paths).filter((p) => paths[p]['x-engine-scoped'] === true));
}
