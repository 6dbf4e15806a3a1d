import type { EngineEvent, EventFilters } from '../../src/client/ws-client';
import type { Ctx } from './context';
import { fill, h } from './dom';
import { clock, shortId } from './format';

const FILTERS_KEY = 'dockhand.events.filters';
const SEQ_KEY = 'dockhand.events.lastSeq';
const TYPES = ['container', 'image', 'network', 'volume'] as const;
const MAX_ITEMS = 200;

const csv = (s: string): string[] | undefined => {
  const v = s.split(/[\s,]+/).filter(Boolean);
  return v.length ? v : undefined;
};

function load(): EventFilters {
  try {
    return JSON.parse(sessionStorage.getItem(FILTERS_KEY) ?? '{}') as EventFilters;
  } catch {
    return {};
  }
}

/**
 * The live events feed. Filters live in sessionStorage with the last sequence number seen, so a reconnect (the
 * client resumes by itself) and even a page reload continue exactly where the feed stopped: `since` replays what
 * was missed. When the service no longer holds those events it says `resync_required`: the lists are re-read and
 * the feed starts again, saying so.
 */
export function eventsPanel(section: HTMLElement, ctx: Ctx): { start(): void } {
  let filters = load();
  let sub: { close(): void } | undefined;
  const boxes = TYPES.map((t) => h('input', { type: 'checkbox', id: `ev-type-${t}`, value: t, checked: filters.type?.includes(t) ?? false }));
  const action = h('input', { id: 'ev-action', spellcheck: 'false', value: filters.action?.join(', ') ?? '', placeholder: 'start, die' });
  const container = h('input', { id: 'ev-container', spellcheck: 'false', value: filters.container?.join(', ') ?? '', placeholder: 'name or id' });
  const form = h(
    'form',
    { id: 'events-filters', class: 'filters' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Types (none checked: all)'),
      TYPES.map((t, i) => h('span', { class: 'check' }, boxes[i], ' ', h('label', { for: `ev-type-${t}` }, t))),
    ),
    h('div', { class: 'field' }, h('label', { for: 'ev-action' }, 'Actions'), action),
    h('div', { class: 'field' }, h('label', { for: 'ev-container' }, 'Containers'), container),
    h('button', { type: 'submit' }, 'Apply filters'),
  );
  const state = h('p', { id: 'events-state', class: 'muted small', 'aria-live': 'polite' });
  const feed = h('ol', { id: 'events-feed', class: 'feed', role: 'log', 'aria-label': 'Engine events, newest first' });
  section.append(form, state, feed);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const type = boxes.filter((b) => b.checked).map((b) => b.value) as EventFilters['type'];
    filters = {
      ...(type && type.length ? { type } : {}),
      ...(csv(action.value) ? { action: csv(action.value) } : {}),
      ...(csv(container.value) ? { container: csv(container.value) } : {}),
    };
    sessionStorage.setItem(FILTERS_KEY, JSON.stringify(filters));
    sessionStorage.removeItem(SEQ_KEY);
    feed.replaceChildren();
    fill(state, 'Subscribing with the new filters…');
    subscribe(undefined);
  });

  const item = (e: EngineEvent) => {
    const name = e.attributes.name ?? (e.type === 'image' ? e.actorId : shortId(e.actorId));
    return h(
      'li',
      { 'data-seq': e.seq, 'data-type': e.type, 'data-action': e.action },
      h('time', { datetime: e.time }, clock(e.time)),
      h('span', { class: `badge ev-${e.type}` }, e.type),
      h('strong', {}, e.action),
      h('span', { class: 'mono' }, name),
      e.attributes.image && e.type === 'container' ? h('span', { class: 'muted small mono' }, e.attributes.image) : null,
      e.reconciled && h('span', { class: 'badge reconciled', title: 'found by listing after the engine stream was down' }, 'reconciled'),
    );
  };

  function subscribe(since: number | undefined): void {
    sub?.close();
    const ws = ctx.session.ws;
    if (!ws) return fill(state, 'Live events are unavailable (no WebSocket).');
    sub = ws.subscribe(
      {
        channel: 'events',
        filters: { ...filters, ...(ctx.session.engine === 'default' ? {} : { engine: [ctx.session.engine] }) },
        ...(since !== undefined ? { since } : {}),
      },
      {
        onFrame: (f) => {
          if (f.type === 'subscribed') {
            const d = f.data as { replayed: number; since: number; engineConnected: boolean };
            fill(
              state,
              `Live from event #${d.since}${d.replayed ? `, ${d.replayed} missed event(s) replayed` : ''}${d.engineConnected ? '' : ' · engine stream down, will reconcile'}`,
            );
          }
          if (f.type === 'event') {
            feed.prepend(item(f.data as EngineEvent));
            while (feed.childElementCount > MAX_ITEMS) feed.lastElementChild?.remove();
          }
          if (f.type === 'subscribed' || f.type === 'event') sessionStorage.setItem(SEQ_KEY, String(f.seq));
        },
        onError: (e) => {
          if (e.code !== 'resync_required') return fill(state, h('span', { class: 'error' }, `${e.code}: ${e.message}`));
          sessionStorage.removeItem(SEQ_KEY);
          feed.prepend(h('li', { class: 'gap' }, 'Some events were missed (no longer held by the service): the lists were re-read.'));
          ctx.refreshContainers();
          ctx.refreshImages();
          subscribe(undefined);
        },
      },
    );
  }

  return {
    start: () => {
      const stored = sessionStorage.getItem(SEQ_KEY);
      subscribe(stored !== null && /^\d+$/.test(stored) ? Number(stored) : undefined);
    },
  };
}
