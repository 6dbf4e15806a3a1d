import { ApiError } from '../../src/client/rest-client';
import type { Ctx } from './context';
import { debounce, h } from './dom';
import { nodesPanel } from './nodes-panel';
import { servicesPanel } from './services-panel';
import { describeError } from './session';

/**
 * The Services and Nodes panes, for an engine that is a swarm manager (GET …/swarm answers). An engine outside a
 * swarm, or a worker, says so in the Services pane (the Nodes pane stays hidden): only a manager can answer either.
 * Both follow the engine's `service` and `node` events, so a change made elsewhere shows without a click.
 */
export function swarmPanels(servicesSection: HTMLElement, nodesSection: HTMLElement, ctx: Ctx): { start(): Promise<void> } {
  const notice = h('p', { class: 'muted', id: 'swarm-notice', role: 'status' });
  servicesSection.append(notice);

  return {
    async start() {
      const say = (code: string | undefined, err?: unknown) => {
        servicesSection.hidden = false;
        notice.dataset.code = code ?? 'error';
        notice.textContent =
          code === 'swarm_inactive'
            ? `Engine ${ctx.session.engine} is not part of a swarm.`
            : code === 'not_swarm_manager'
              ? `Engine ${ctx.session.engine} is a swarm worker: pick a manager engine to see services and nodes.`
              : `Swarm unavailable: ${describeError(err)}`;
      };
      // The engine list says whether the engine is in a swarm at all: most engines are not, and asking one for its
      // swarm would only fetch a 409 (which the browser logs as a failed request) on every page load.
      const listed = await ctx.session.api.listEngines().catch(() => []);
      const mode = listed.find((e) => e.name === ctx.session.engine)?.swarm;
      if (mode === 'inactive') return say('swarm_inactive');
      let swarm;
      try {
        swarm = await ctx.session.api.getSwarm();
      } catch (err) {
        return say(err instanceof ApiError ? err.code : undefined, err);
      }
      notice.textContent = `Swarm ${swarm.id.slice(0, 12)}: ${swarm.nodes.total} node(s) (${swarm.nodes.managers} manager, ${swarm.nodes.workers} worker), ${swarm.nodes.ready} ready.`;
      servicesSection.hidden = false;
      nodesSection.hidden = false;
      const services = servicesPanel(servicesSection, ctx);
      const nodes = nodesPanel(nodesSection, ctx);
      const refreshServices = debounce(() => void services.refresh(), 400);
      const refreshNodes = debounce(() => void nodes.refresh(), 400);
      ctx.session.ws?.subscribe(
        { channel: 'events', filters: { type: ['service', 'node'], ...(ctx.session.engine === 'default' ? {} : { engine: [ctx.session.engine] }) } },
        {
          onFrame: (f) => {
            if (f.type !== 'event') return;
            const { type } = f.data as { type: string };
            if (type === 'service') refreshServices();
            if (type === 'node') refreshNodes();
          },
        },
      );
      await Promise.all([services.refresh(), nodes.refresh()]);
    },
  };
}
