import type { Ctx } from './context';
import { fill, h } from './dom';
import { shortId } from './format';
import { describeError } from './session';

/**
 * Containers of every engine the token may use in one table (GET /api/v1/engines/all/containers?all=true), with an
 * Engine column; engines that could not answer are named, with the reason, in a notice above the table.
 */
export function fleetPanel(section: HTMLElement, ctx: Ctx): { refresh(): Promise<void> } {
  const notice = h('div', { class: 'fleet-missing', role: 'status' });
  const body = h('tbody');
  const state = h('p', { class: 'muted small' });
  const refreshBtn = h('button', { type: 'button', onclick: () => void refresh() }, 'Refresh');
  section.append(
    h('div', { class: 'toolbar' }, refreshBtn),
    notice,
    state,
    h(
      'table',
      { class: 'list', 'aria-labelledby': 'fleet-h' },
      h('thead', {}, h('tr', {}, ...['Name', 'Engine', 'Image', 'State', 'Status'].map((t) => h('th', { scope: 'col' }, t)))),
      body,
    ),
  );

  async function refresh(): Promise<void> {
    try {
      const r = await ctx.session.api.listFleetContainers({ all: true });
      fill(
        body,
        r.items.map((c) => {
          const name = c.names[0] ?? shortId(c.id);
          return h(
            'tr',
            { 'data-engine': c.engine, 'data-name': name },
            h('td', { class: 'mono' }, name),
            h('td', { class: 'mono' }, c.engine),
            h('td', { class: 'mono' }, c.image),
            h('td', {}, c.state),
            h('td', {}, c.status),
          );
        }),
      );
      fill(state, `${r.items.length} container(s) on ${new Set(r.items.map((c) => c.engine)).size} engine(s)`);
      fill(
        notice,
        r.missing.length
          ? h(
              'div',
              { class: 'error' },
              'Not listed (engine did not answer): ',
              h(
                'ul',
                {},
                r.missing.map((m) => h('li', { 'data-engine': m.engine }, h('strong', { class: 'mono' }, m.engine), ` — ${m.code}: ${m.message}`)),
              ),
            )
          : null,
      );
    } catch (err) {
      fill(state, h('span', { class: 'error' }, `Could not list: ${describeError(err)}`));
    }
  }
  return { refresh };
}
