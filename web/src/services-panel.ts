import type { Job, SwarmService } from '../../src/client/rest-client';
import type { Ctx } from './context';
import { bar, debounce, fill, h } from './dom';
import { FINAL } from './job-text';
import { removeService, rollbackService, scaleService, serviceLogs, updateServiceImage, type ServiceActions } from './service-dialogs';
import { jobVerb, replicaText, serviceJobSummary, shownPercent, splitDigest } from './service-text';
import { describeError } from './session';

/** A service job shown under its service: the last frame, the percent shown, and its `job` channel subscription. */
interface Watched {
  job: Job;
  percent: number;
  el: HTMLElement;
  sub?: { close(): void };
}

/** running/desired as a bar whose value is the task count (not a percent), with the count in words beside it. */
function replicaBar(s: SwarmService): HTMLElement {
  const t = replicaText(s);
  const inner = h('div', { class: 'bar-fill' });
  inner.style.width = `${s.desired ? Math.min(100, (100 * s.running) / s.desired) : 0}%`;
  return h(
    'div',
    { class: 'replicas' },
    h(
      'div',
      {
        class: `bar ${s.running >= s.desired ? 'full' : ''}`,
        role: 'progressbar',
        'aria-label': `Replicas of ${s.name}`,
        'aria-valuemin': 0,
        'aria-valuemax': s.desired,
        'aria-valuenow': s.running,
        'aria-valuetext': t.long,
      },
      inner,
    ),
    h('span', { class: 'replica-count' }, t.short),
  );
}

/**
 * The swarm's services (GET …/swarm/services): name, image, mode, a replica bar, the last update's state; operators
 * scale, update the image, roll back and remove; everyone reads the logs. A change is a job: its live progress bar
 * sits under the service, driven by the `job` channel frames of that job.
 */
export function servicesPanel(section: HTMLElement, ctx: Ctx): { refresh(): Promise<void> } {
  const status = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const tbody = h('tbody');
  const watched = new Map<string, Watched>();
  // Task counts move with a job's frames, and tasks raise no `service` event: the list follows the frames.
  const refreshSoon = debounce(() => void refresh(), 500);
  section.append(
    h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: () => void refresh() }, 'Refresh')),
    status,
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'list', id: 'services-table' },
        h('caption', { class: 'sr-only' }, 'Swarm services'),
        h('thead', {}, h('tr', {}, ...['Name', 'Image', 'Mode', 'Replicas', 'Update', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
        tbody,
      ),
    ),
  );

  const renderJob = (w: Watched) => {
    const { job } = w;
    const name = job.service?.name ?? job.image;
    const verb = jobVerb(job);
    w.el.dataset.state = job.state;
    fill(
      w.el,
      h('div', { class: 'job-head' }, h('span', {}, `${verb} job`), h('span', { class: `badge job-${job.state}` }, job.state)),
      bar(w.percent, `${verb} progress of ${name}`, 'overall'),
      h('p', { class: 'job-summary small' }, serviceJobSummary(job, w.percent)),
      job.error && h('p', { class: 'error small' }, `${job.error.code}: ${job.error.message}`),
    );
  };

  const actions: ServiceActions = {
    refresh: () => void refresh(),
    started(s, job) {
      const old = watched.get(s.name);
      old?.sub?.close();
      const w: Watched = { job, percent: shownPercent(undefined, job), el: h('div', { class: 'service-job', 'data-job': job.id }) };
      watched.set(s.name, w);
      renderJob(w);
      // In place of the previous job's bar at once (the row itself is re-rendered only when the list is read again).
      if (old?.el.isConnected) old.el.replaceWith(w.el);
      else tbody.querySelector(`tr[data-service="${CSS.escape(s.name)}"] .update-cell`)?.append(w.el);
      ctx.announce(`${jobVerb(job)} of ${s.name} started`);
      if (!FINAL.has(job.state) && ctx.session.ws) {
        w.sub = ctx.session.ws.subscribe(
          { channel: 'job', jobId: job.id },
          {
            onFrame: (f) => {
              if (f.type !== 'progress') return;
              w.job = f.data as Job;
              w.percent = shownPercent(w.percent, w.job);
              renderJob(w);
              refreshSoon();
            },
            onEnd: (d) => {
              ctx.announce(`${jobVerb(job)} of ${s.name} ${d.reason}`, d.reason === 'succeeded' ? 'ok' : 'error');
              ctx.refreshJobs();
              void refresh();
            },
            onError: (e) => w.el.append(h('p', { class: 'error small' }, `${e.code}: ${e.message}`)),
          },
        );
      }
      void refresh();
    },
  };

  const row = (s: SwarmService) => {
    const op = ctx.session.can('operator');
    const { ref, digest } = splitDigest(s.image);
    const w = watched.get(s.name);
    return h(
      'tr',
      { 'data-service': s.name },
      h('th', { scope: 'row', class: 'mono breakable' }, s.name),
      h(
        'td',
        { class: 'mono breakable', title: digest ?? '' },
        ref,
        digest && h('br'),
        digest && h('span', { class: 'muted small' }, digest.slice(0, 19)),
      ),
      h('td', {}, s.mode),
      h('td', {}, replicaBar(s)),
      h(
        'td',
        { class: 'update-cell' },
        s.updateState ? h('span', { class: `badge svc-${s.updateState}`, title: s.updateMessage ?? '' }, s.updateState.replace(/_/g, ' ')) : '—',
        w?.el,
      ),
      h(
        'td',
        { class: 'actions' },
        op &&
          s.mode === 'replicated' &&
          h('button', { type: 'button', 'aria-label': `Scale ${s.name}`, onclick: () => scaleService(ctx, s, actions) }, 'Scale'),
        op &&
          h(
            'button',
            { type: 'button', 'aria-label': `Update image of ${s.name}`, onclick: () => updateServiceImage(ctx, s, actions) },
            'Update image',
          ),
        op && h('button', { type: 'button', 'aria-label': `Roll back ${s.name}`, onclick: () => void rollbackService(ctx, s, actions) }, 'Roll back'),
        h('button', { type: 'button', 'aria-label': `Logs of ${s.name}`, onclick: () => serviceLogs(ctx, s) }, 'Logs'),
        op &&
          h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${s.name}`, onclick: () => removeService(ctx, s, actions) }, 'Remove'),
      ),
    );
  };

  // Reads overlap (events, job frames, clicks): an answer older than the one shown is dropped.
  let asked = 0;
  let shown = 0;
  async function refresh(): Promise<void> {
    const mine = ++asked;
    try {
      const items = await ctx.session.api.listSwarmServices();
      if (mine < shown) return;
      shown = mine;
      fill(tbody, items.length ? items.map(row) : h('tr', {}, h('td', { colspan: 6 }, 'No services.')));
      fill(status, `${items.length} service(s), ${items.reduce((n, s) => n + s.running, 0)} task(s) running`);
    } catch (err) {
      fill(status, h('span', { class: 'error' }, describeError(err)));
    }
  }
  return { refresh };
}
