import type { Engine } from '../../src/client/rest-client';
import type { Ctx } from './context';
import { fill, h } from './dom';
import { describeError } from './session';

/**
 * The engines in the header: each engine the token may use with its state in words (not colour alone), read from
 * GET /api/v1/engines and kept current by the `events` channel's engine connected/disconnected events; and the picker
 * that makes every engine-scoped panel work on one engine (kept for the tab, applied by a reload so nothing of the
 * previous engine stays on screen).
 *
 * The subscription starts before the list is read, and each state keeps the time it holds from (the list's `since`,
 * the event's `time`), so an event that crosses the list's answer is not overwritten by an older state. An engine the
 * list calls down may only have missed its probe's bound (a loaded machine) while its event feed never dropped, so no
 * `connected` event will come: while any engine is shown down, the list is read again every DOWN_RECHECK_MS.
 */
const DOWN_RECHECK_MS = 10000;

export function enginesHeader(list: HTMLElement, picker: HTMLSelectElement, ctx: Ctx): { start(): Promise<void> } {
  const state = new Map<string, { status: 'up' | 'down'; detail: string; at: number }>();
  let recheck: ReturnType<typeof setTimeout> | undefined;

  /** Keeps the newer of what is shown and what arrives (a state without a time is older than any with one). */
  const apply = (name: string, status: 'up' | 'down', detail: string, time: string | null | undefined) => {
    const at = time ? Date.parse(time) : 0;
    const shown = state.get(name);
    if (shown && shown.at > at) return;
    state.set(name, { status, detail, at: Number.isNaN(at) ? 0 : at });
  };

  const render = () => {
    fill(
      list,
      [...state].map(([name, s]) =>
        h(
          'li',
          { 'data-engine': name, 'data-status': s.status, title: s.detail },
          h('span', { class: 'dot', 'data-state': s.status === 'up' ? 'open' : 'closed', 'aria-hidden': 'true' }),
          h('span', { class: 'mono' }, name),
          ': ',
          h('span', { class: 'engine-status' }, s.status),
        ),
      ),
    );
  };

  const renderPicker = (names: string[]) => {
    const current = ctx.session.engine;
    if (!names.includes(current)) names = [...names, current];
    fill(
      picker,
      names.map((n) => h('option', { value: n, ...(n === current ? { selected: 'selected' } : {}) }, n)),
    );
    picker.value = current;
    picker.disabled = false;
  };

  picker.addEventListener('change', () => {
    ctx.session.chooseEngine(picker.value);
    location.reload();
  });

  const read = async (): Promise<void> => {
    try {
      const engines: Engine[] = await ctx.session.api.listEngines();
      for (const e of engines) apply(e.name, e.status, e.error ?? `${e.version ?? ''} ${e.os ?? ''}/${e.arch ?? ''}`.trim(), e.since);
      renderPicker(engines.map((e) => e.name));
      render();
    } catch (err) {
      if (state.size === 0) fill(list, h('li', { class: 'error' }, `Engines unavailable: ${describeError(err)}`));
      if (picker.disabled) renderPicker([ctx.session.engine]);
    }
    clearTimeout(recheck);
    if ([...state.values()].some((s) => s.status === 'down')) recheck = setTimeout(() => void read(), DOWN_RECHECK_MS);
  };

  return {
    async start() {
      ctx.session.ws?.subscribe(
        { channel: 'events', filters: { engine: ['*'], type: ['engine'] } },
        {
          onFrame: (f) => {
            if (f.type !== 'event') return;
            const e = f.data as { type: string; action: string; actorId: string; time: string };
            if (e.type !== 'engine') return;
            if (e.action !== 'connected' && e.action !== 'disconnected') return;
            apply(e.actorId, e.action === 'connected' ? 'up' : 'down', `${e.action} at ${e.time}`, e.time);
            render();
          },
        },
      );
      await read();
    },
  };
}
