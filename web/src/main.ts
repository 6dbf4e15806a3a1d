import type { Ctx } from './context';
import { byId, debounce } from './dom';
import { containersPanel } from './containers-panel';
import { enginesHeader } from './engines';
import { eventsPanel } from './events-panel';
import { fleetPanel } from './fleet-panel';
import { imagesPanel } from './images-panel';
import { jobsPanels } from './jobs-panel';
import { livePane } from './live-pane';
import { describeError, Session } from './session';
import { swarmPanels } from './swarm-panels';
import { terminalPane } from './terminal-pane';

/**
 * The web console: a page of the service itself that uses only its public API — REST through the typed client,
 * live streams through one WebSocket opened with a ticket. Panels are built once for the signed-in role; a new
 * token reloads the page so nothing of the previous role stays on screen.
 */
const session = new Session();

function announce(message: string, kind: 'ok' | 'error' = 'ok'): void {
  const el = byId('announce');
  el.textContent = message;
  el.dataset.kind = kind;
}

function setWsState(state: 'connecting' | 'open' | 'closed'): void {
  const el = byId('ws-state');
  el.dataset.state = state;
  el.textContent = state === 'open' ? 'Live: connected' : state === 'connecting' ? 'Live: connecting…' : 'Live: reconnecting…';
}

function wireTokenForm(): void {
  const form = byId<HTMLFormElement>('token-form');
  const input = byId<HTMLInputElement>('token-input');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await session.signIn(input.value.trim());
      location.reload();
    } catch (err) {
      byId('who').textContent = `Token refused: ${describeError(err)}`;
      input.focus();
    }
  });
  byId('sign-out').addEventListener('click', () => {
    session.signOut();
    location.reload();
  });
}

async function start(): Promise<void> {
  wireTokenForm();
  if (!session.hasToken) {
    byId('token-input').focus();
    return;
  }
  try {
    const me = await session.resume();
    if (!me) return;
    byId('who').textContent = `Signed in as ${me.name} · role ${me.role}`;
    byId('who').dataset.role = me.role;
    byId('sign-out').hidden = false;
    byId<HTMLInputElement>('token-input').placeholder = 'paste another token to switch';
    byId<HTMLInputElement>('token-input').required = true;
  } catch (err) {
    byId('who').textContent = `Could not sign in: ${describeError(err)}`;
    return;
  }
  try {
    await session.openSocket(setWsState);
  } catch (err) {
    announce(`Live updates are off: ${describeError(err)}`, 'error');
  }

  const ctx: Ctx = {
    session,
    announce,
    refreshImages: () => refreshImages(),
    refreshContainers: () => refreshContainers(),
    refreshJobs: () => void jobs.refreshJobs(),
    watchJob: (job) => jobs.watchJob(job),
    openLive: (c) => live.open(c),
    openTerminal: (c, opener) => terminal.open(c, opener),
  };
  const images = imagesPanel(byId('images'), ctx);
  const containers = containersPanel(byId('containers'), ctx);
  const jobs = jobsPanels(byId('pull'), byId('jobs'), ctx);
  const live = livePane(byId('live'), ctx);
  const terminal = terminalPane(byId('terminal'), ctx);
  const events = eventsPanel(byId('events'), ctx);
  const engines = enginesHeader(byId('engine-list'), byId<HTMLSelectElement>('engine-picker'), ctx);
  const fleet = fleetPanel(byId('fleet'), ctx);
  const swarm = swarmPanels(byId('services'), byId('nodes'), ctx);
  const refreshImages = debounce(() => void images.refresh(), 300);
  const refreshContainers = debounce(() => void containers.refresh(), 300);
  byId('main').hidden = false;

  await Promise.all([images.refresh(), containers.refresh(), jobs.refreshJobs(), jobs.reattach(), engines.start(), fleet.refresh(), swarm.start()]);
  events.start();
  // The lists follow the engine: any container or image event (whatever the feed's filters) re-reads them.
  session.ws?.subscribe(
    { channel: 'events', filters: { type: ['container', 'image'], ...(session.engine === 'default' ? {} : { engine: [session.engine] }) } },
    {
      onFrame: (f) => {
        if (f.type !== 'event') return;
        const { type, action } = f.data as { type: string; action: string };
        if (type === 'container') refreshContainers();
        // Images show how many containers use them: a container coming or going changes that too.
        if (type === 'image' || (type === 'container' && (action === 'create' || action === 'destroy'))) refreshImages();
      },
    },
  );
}

document.addEventListener('DOMContentLoaded', () => void start());
