import type { EngineEvent } from './engine-event';

/**
 * Server-side event filters, with the engine's own semantics: values of one key are alternatives (OR),
 * different keys must all match (AND). An empty or absent key matches everything.
 */
export interface EventFilters {
  /** Engine names; absent or empty: every engine (the edges always say which engines a reader may see). */
  engine?: string[];
  type?: string[];
  /** `die` matches `die`; `health_status` also matches `health_status: healthy`. */
  action?: string[];
  /** A container name, a full id, or an id prefix of at least 12 hex digits. */
  container?: string[];
  /** The image a container runs (`attributes.image`) or the image an image event is about. */
  image?: string[];
  /** `key` (present) or `key=value`. */
  label?: string[];
}

const HEX_PREFIX = /^[a-f0-9]{12,64}$/;

const withoutLatest = (s: string): string => (s.endsWith(':latest') ? s.slice(0, -':latest'.length) : s);

function matchesContainer(e: EngineEvent, c: string): boolean {
  const attr = e.attributes;
  if (e.type === 'container') {
    if (e.actorId === c || attr.name === c) return true;
    return HEX_PREFIX.test(c) && e.actorId.startsWith(c);
  }
  // Network connect/disconnect events name the container in an attribute.
  return attr.container === c || (HEX_PREFIX.test(c) && (attr.container ?? '').startsWith(c));
}

function matchesImage(e: EngineEvent, i: string): boolean {
  const want = withoutLatest(i);
  const candidates = e.type === 'image' ? [e.actorId, e.attributes.name] : [e.attributes.image];
  return candidates.some((v) => v !== undefined && (v === i || withoutLatest(v) === want));
}

function matchesLabel(e: EngineEvent, l: string): boolean {
  const eq = l.indexOf('=');
  if (eq < 0) return Object.prototype.hasOwnProperty.call(e.attributes, l);
  return e.attributes[l.slice(0, eq)] === l.slice(eq + 1);
}

const matchesAction = (e: EngineEvent, a: string): boolean => e.action === a || e.action.startsWith(`${a}:`);

const any = <T>(values: T[] | undefined, test: (v: T) => boolean): boolean => !values || values.length === 0 || values.some(test);

export function matchesFilters(e: EngineEvent, f: EventFilters): boolean {
  return (
    any(f.engine, (n) => e.engine === n) &&
    any(f.type, (t) => e.type === t) &&
    any(f.action, (a) => matchesAction(e, a)) &&
    any(f.container, (c) => matchesContainer(e, c)) &&
    any(f.image, (i) => matchesImage(e, i)) &&
    // Labels are cumulative in the engine's filter: every given label must be present.
    (f.label ?? []).every((l) => matchesLabel(e, l))
  );
}
