import type { ContainerSnapshot, ImageSnapshot, RawEngineEvent } from './engine-event';

type Synthetic = Omit<RawEngineEvent, 'timeNano'>;

const RUNNING = new Set(['running', 'restarting']);
const STOPPED = new Set(['exited', 'dead']);

const containerAttributes = (c: ContainerSnapshot): Record<string, string> => ({ ...c.labels, image: c.image, name: c.name });

/** The actions that take a container from `from` (undefined: unknown to us) to `to`, in order. */
function transitions(from: string | undefined, to: string): string[] {
  const steps: string[] = [];
  let cur = from ?? 'created';
  if (from === undefined) steps.push('create');
  if (cur === to) return steps;
  if (cur === 'paused' && to !== 'paused') {
    steps.push(RUNNING.has(to) ? 'unpause' : 'die');
    return steps;
  }
  if (!RUNNING.has(cur) && (RUNNING.has(to) || to === 'paused' || STOPPED.has(to))) {
    // A container that exited must have started; one that is running again restarted.
    if (!(STOPPED.has(cur) && STOPPED.has(to))) steps.push('start');
    cur = 'running';
  }
  if (to === 'paused') steps.push('pause');
  else if (STOPPED.has(to) && RUNNING.has(cur)) steps.push('die');
  return steps;
}

/**
 * What the hub believes the engine holds: kept current from the live stream, and compared with a fresh
 * listing after a reconnect to produce the events the outage hid.
 */
export class EngineState {
  private containers = new Map<string, ContainerSnapshot>();
  private images = new Map<string, ImageSnapshot>();
  private known = false;

  /** True once a listing has been taken: before that there is nothing to compare with. */
  get hasBaseline(): boolean {
    return this.known;
  }

  /** Follows a live event; returns true when it touched images, whose state only a listing tells exactly. */
  apply(e: RawEngineEvent): boolean {
    if (e.type === 'image') {
      if (e.action === 'delete') this.images.delete(e.actorId);
      return true;
    }
    if (e.type !== 'container') return false;
    if (e.action === 'destroy') {
      this.containers.delete(e.actorId);
      return false;
    }
    const cur = this.containers.get(e.actorId);
    const { name, image, ...labels } = e.attributes;
    const entry: ContainerSnapshot = cur ?? { id: e.actorId, name: name ?? '', image: image ?? '', state: 'created', labels };
    if (name && e.action === 'rename') entry.name = name;
    const next: Record<string, string> = { start: 'running', restart: 'running', unpause: 'running', pause: 'paused', die: 'exited' };
    if (next[e.action]) entry.state = next[e.action];
    this.containers.set(e.actorId, entry);
    return false;
  }

  setImages(images: ImageSnapshot[]): void {
    this.images = new Map(images.map((i) => [i.id, i]));
  }

  /**
   * Replaces what we knew with a fresh listing and returns the changes between the two, as engine events
   * (without a time: the caller stamps them). The first listing only sets the baseline.
   */
  reconcile(containers: ContainerSnapshot[], images: ImageSnapshot[]): Synthetic[] {
    const out: Synthetic[] = [];
    if (this.known) {
      const now = new Map(containers.map((c) => [c.id, c]));
      for (const old of this.containers.values()) {
        if (!now.has(old.id)) {
          if (!STOPPED.has(old.state) && old.state !== 'created') out.push(this.container(old, 'die'));
          out.push(this.container(old, 'destroy'));
        }
      }
      for (const c of containers) {
        for (const action of transitions(this.containers.get(c.id)?.state, c.state)) out.push(this.container(c, action));
      }
      const nowImages = new Map(images.map((i) => [i.id, i]));
      for (const old of this.images.values()) {
        if (!nowImages.has(old.id)) out.push({ type: 'image', action: 'delete', actorId: old.id, attributes: { name: old.id } });
      }
      for (const img of images) {
        const before = new Set(this.images.get(img.id)?.tags ?? []);
        for (const t of img.tags) if (!before.has(t)) out.push({ type: 'image', action: 'tag', actorId: img.id, attributes: { name: t } });
        for (const t of before) if (!img.tags.includes(t)) out.push({ type: 'image', action: 'untag', actorId: img.id, attributes: { name: t } });
      }
    }
    this.containers = new Map(containers.map((c) => [c.id, { ...c, labels: { ...c.labels } }]));
    this.images = new Map(images.map((i) => [i.id, i]));
    this.known = true;
    return out;
  }

  private container(c: ContainerSnapshot, action: string): Synthetic {
    return { type: 'container', action, actorId: c.id, attributes: containerAttributes(c) };
  }
}
