import type { SwarmNode } from '../../src/client/rest-client';
import type { Ctx } from './context';
import { fill, h } from './dom';
import { shortId } from './format';
import { sortNodes } from './service-text';
import { describeError } from './session';

/**
 * The swarm's nodes (GET …/swarm/nodes): hostname, role and leader, availability, state, and the registered engine
 * that is the node (a button that opens that engine in the console). Admins drain a node (its tasks move away) and
 * make it active again (PATCH …/swarm/nodes/{id}, admin in the contract), sending the node's version as read.
 */
export function nodesPanel(section: HTMLElement, ctx: Ctx): { refresh(): Promise<void> } {
  const status = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const tbody = h('tbody');
  section.append(
    h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: () => void refresh() }, 'Refresh')),
    ctx.session.can('admin') ? '' : h('p', { class: 'muted small' }, 'Draining a node needs the admin role.'),
    status,
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'list', id: 'nodes-table' },
        h('caption', { class: 'sr-only' }, 'Swarm nodes'),
        h(
          'thead',
          {},
          h('tr', {}, ...['Hostname', 'Role', 'Availability', 'State', 'Engine', 'Address', 'Actions'].map((c) => h('th', { scope: 'col' }, c))),
        ),
        tbody,
      ),
    ),
  );

  const setAvailability = async (n: SwarmNode, availability: 'active' | 'drain') => {
    const who = n.engine ?? n.hostname;
    try {
      const after = await ctx.session.api.updateSwarmNode(n.id, { availability, version: n.version });
      ctx.announce(after.availability === 'drain' ? `Node ${who} drained: its tasks move to other nodes` : `Node ${who} is ${after.availability}`);
    } catch (err) {
      ctx.announce(`Node ${who}: ${describeError(err)}`, 'error');
    }
    void refresh();
  };

  const openEngine = (engine: string) => {
    ctx.session.chooseEngine(engine);
    location.reload();
  };

  const row = (n: SwarmNode) => {
    const who = n.engine ?? n.hostname;
    const admin = ctx.session.can('admin');
    return h(
      'tr',
      { 'data-node': n.id, 'data-engine': n.engine ?? '' },
      h('th', { scope: 'row', class: 'breakable' }, n.hostname, h('br'), h('span', { class: 'muted small mono' }, shortId(n.id))),
      h('td', {}, n.role, n.leader && [' ', h('span', { class: 'badge leader' }, 'leader')]),
      h('td', {}, h('span', { class: `badge avail-${n.availability}` }, n.availability)),
      h('td', {}, h('span', { class: `badge node-${n.state}` }, n.state)),
      h(
        'td',
        { class: 'mono' },
        n.engine
          ? n.engine === ctx.session.engine
            ? `${n.engine} (this one)`
            : h('button', { type: 'button', 'aria-label': `Open engine ${n.engine}`, onclick: () => openEngine(n.engine as string) }, n.engine)
          : '—',
      ),
      h('td', { class: 'mono' }, n.address),
      h(
        'td',
        { class: 'actions' },
        admin &&
          n.availability !== 'active' &&
          h('button', { type: 'button', 'aria-label': `Activate node ${who}`, onclick: () => void setAvailability(n, 'active') }, 'Activate'),
        admin &&
          n.availability !== 'drain' &&
          h('button', { type: 'button', 'aria-label': `Drain node ${who}`, onclick: () => void setAvailability(n, 'drain') }, 'Drain'),
      ),
    );
  };

  // Reads overlap (events, job frames, clicks): an answer older than the one shown is dropped.
  let asked = 0;
  let shown = 0;
  async function refresh(): Promise<void> {
    const mine = ++asked;
    try {
      const nodes = sortNodes(await ctx.session.api.listSwarmNodes());
      if (mine < shown) return;
      shown = mine;
      fill(tbody, nodes.map(row));
      fill(
        status,
        `${nodes.length} node(s), ${nodes.filter((n) => n.state === 'ready').length} ready, ${nodes.filter((n) => n.availability === 'active').length} active`,
      );
    } catch (err) {
      fill(status, h('span', { class: 'error' }, describeError(err)));
    }
  }
  return { refresh };
}
