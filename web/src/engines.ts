import type { Engine } from '../../src/client/rest-client';
import type { Ctx } from './context';
import { fill, h } from './dom';
import { describeError } from './session';

/**
 * The engines in the header: each engine the token may use with its state in words (not colour alone), read once
 * from GET /api/v1/engines and then kept current by the `events` channel's engine connected/disconnected events;
 * and the picker that makes every engine-scoped panel work on one engine (kept for the tab, applied by a reload so
 * nothing of the previous engine stays on screen).
 */
export function enginesHeader(list: HTMLElement, picker: HTMLSelectElement, ctx: Ctx): { start(): Promise<void> } {
  const state = new Map<string, { status: 'up' | 'down'; detail: string }>();

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

  return {
    async start() {
      try {
        const engines: Engine[] = await ctx.session.api.listEngines();
        for (const e of engines)
          state.set(e.name, { status: e.status, detail: e.error ?? `${e.version ?? ''} ${e.os ?? ''}/${e.arch ?? ''}`.trim() });
        renderPicker(engines.map((e) => e.name));
        render();
      } catch (err) {
        fill(list, h('li', { class: 'error' }, `Engines unavailable: ${describeError(err)}`));
        renderPicker([ctx.session.engine]);
      }
      ctx.session.ws?.subscribe(
        { channel: 'events', filters: { engine: ['*'], type: ['engine'] } },
        {
          onFrame: (f) => {
            if (f.type !== 'event') return;
            const e = f.data as { type: string; action: string; actorId: string; time: string };
            if (e.type !== 'engine') return;
            if (e.action !== 'connected' && e.action !== 'disconnected') return;
            state.set(e.actorId, { status: e.action === 'connected' ? 'up' : 'down', detail: `${e.action} at ${e.time}` });
            render();
          },
        },
      );
    },
  };
}
