import type { Job, JobLayer } from '../../src/client/rest-client';
import type { Ctx } from './context';
import { bar, fill, h } from './dom';
import { ago, bytes } from './format';
import { FINAL, LAYER_STATES, layerPercent, summary } from './job-text';
import { describeError } from './session';

const MAX_CARDS = 4;

function layerRow(l: JobLayer): HTMLElement {
  const label = LAYER_STATES[l.state] ?? l.state;
  const done = l.state === 'complete' || l.state === 'pushed';
  const amount = !l.total ? '' : done ? bytes(l.total) : `${bytes(l.current ?? 0)} / ${bytes(l.total)}`;
  return h(
    'li',
    { class: `layer state-${l.state}`, 'data-layer': l.id },
    h('span', { class: 'mono' }, l.id),
    bar(layerPercent(l), `layer ${l.id}: ${label}`, l.state === 'already_present' ? 'shared' : ''),
    h('span', { class: 'layer-state' }, label),
    h('span', { class: 'muted small' }, l.state === 'already_present' ? 'shared with a local image' : amount),
  );
}

/** The pull form, a live card per watched job, and the jobs list with cancel. */
export function jobsPanels(pullSection: HTMLElement, jobsSection: HTMLElement, ctx: Ctx) {
  const cards = new Map<string, { el: HTMLElement; close(): void }>();
  const input = h('input', {
    id: 'pull-ref',
    name: 'image',
    required: true,
    spellcheck: 'false',
    placeholder: '127.0.0.1:5000/team/app:1.0',
    autocomplete: 'off',
  });
  const submit = h('button', { type: 'submit' }, 'Pull');
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'inline', id: 'pull-form' }, h('label', { for: 'pull-ref' }, 'Image reference'), input, submit);
  const progress = h('div', { id: 'pull-progress', class: 'stack' });
  pullSection.append(form, error, progress);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    try {
      const job = await ctx.session.api.pull(input.value.trim());
      watchJob(job);
      ctx.announce(`Pull of ${job.image} started`);
      void refreshJobs();
    } catch (err) {
      error.textContent = describeError(err);
    }
  });

  function render(card: HTMLElement, job: Job): void {
    const operator = ctx.session.can('operator');
    const done = FINAL.has(job.state);
    fill(
      card,
      h(
        'div',
        { class: 'job-head' },
        h('strong', { class: 'mono' }, job.image),
        h('span', { class: `badge job-${job.state}` }, job.state),
        !done &&
          operator &&
          h('button', { type: 'button', onclick: () => void cancel(job.id), 'aria-label': `Cancel pull of ${job.image}` }, 'Cancel'),
        done && h('button', { type: 'button', class: 'icon', 'aria-label': `Dismiss ${job.image}`, onclick: () => dismiss(job.id) }, '×'),
      ),
      bar(job.progress.percent, `Overall progress of ${job.image}`, 'overall'),
      h('p', { class: 'job-summary' }, summary(job)),
      job.error && h('p', { class: 'error' }, `${job.error.code}: ${job.error.message}`),
      job.status && h('p', { class: 'muted small' }, job.status),
      h('ul', { class: 'plain layers', 'aria-label': `Layers of ${job.image}` }, job.progress.layers.map(layerRow)),
    );
  }

  function dismiss(id: string): void {
    cards.get(id)?.close();
    cards.get(id)?.el.remove();
    cards.delete(id);
  }

  function watchJob(job: Job): void {
    const existing = cards.get(job.id);
    if (existing) {
      render(existing.el, job);
      return;
    }
    const el = h('article', { class: 'job', 'data-job': job.id, 'aria-label': `${job.kind} ${job.image}` });
    render(el, job);
    progress.prepend(el);
    let sub: { close(): void } | undefined;
    if (!FINAL.has(job.state) && ctx.session.ws) {
      sub = ctx.session.ws.subscribe(
        { channel: 'job', jobId: job.id },
        {
          onFrame: (f) => f.type === 'progress' && render(el, f.data as Job),
          onEnd: (d) => {
            ctx.announce(`${job.kind} of ${job.image} ${d.reason}`, d.reason === 'succeeded' ? 'ok' : 'error');
            void refreshJobs();
            ctx.refreshImages();
          },
          onError: (e) => el.append(h('p', { class: 'error' }, `${e.code}: ${e.message}`)),
        },
      );
    }
    cards.set(job.id, { el, close: () => sub?.close() });
    // Keep the newest few; finished cards go first.
    for (const [id, c] of cards) {
      if (cards.size <= MAX_CARDS) break;
      if (!c.el.querySelector('.job-running, .job-queued')) dismiss(id);
    }
  }

  async function cancel(id: string): Promise<void> {
    try {
      const job = await ctx.session.api.cancelJob(id);
      watchJob(job);
      void refreshJobs();
    } catch (err) {
      ctx.announce(describeError(err), 'error');
    }
  }

  const tbody = h('tbody');
  jobsSection.append(
    h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: () => void refreshJobs() }, 'Refresh')),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'list', id: 'jobs-table' },
        h('caption', { class: 'sr-only' }, 'Running and recent jobs'),
        h('thead', {}, h('tr', {}, ...['Image', 'State', 'Progress', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
        tbody,
      ),
    ),
  );

  async function refreshJobs(): Promise<void> {
    try {
      const jobs = await ctx.session.api.listJobs();
      fill(
        tbody,
        jobs.length === 0
          ? h('tr', {}, h('td', { colspan: 4 }, 'No jobs in the last 15 minutes.'))
          : jobs
              .slice(0, 30)
              .map((j) =>
                h(
                  'tr',
                  { 'data-job': j.id },
                  h(
                    'th',
                    { scope: 'row', class: 'breakable' },
                    h('span', { class: 'mono' }, j.image),
                    h('br'),
                    h('span', { class: 'muted small' }, `${j.kind} by ${j.createdBy}, ${ago(j.createdAt)}`),
                  ),
                  h('td', {}, h('span', { class: `badge job-${j.state}` }, j.state)),
                  h('td', { class: 'num' }, `${Math.floor(j.progress.percent)} %`),
                  h(
                    'td',
                    { class: 'actions' },
                    h('button', { type: 'button', 'aria-label': `Show progress of ${j.image}`, onclick: () => watchJob(j) }, 'Show'),
                    !FINAL.has(j.state) &&
                      ctx.session.can('operator') &&
                      h('button', { type: 'button', 'aria-label': `Cancel ${j.kind} of ${j.image}`, onclick: () => void cancel(j.id) }, 'Cancel'),
                  ),
                ),
              ),
      );
    } catch (err) {
      fill(tbody, h('tr', {}, h('td', { colspan: 4, class: 'error' }, describeError(err))));
    }
  }

  /** After a reload: show a live card for every job still running. */
  async function reattach(): Promise<void> {
    const jobs = await ctx.session.api.listJobs().catch(() => []);
    for (const j of jobs.filter((x) => !FINAL.has(x.state)).reverse()) watchJob(j);
  }

  submit.disabled = !ctx.session.can('operator');
  if (submit.disabled) submit.title = 'Pulling needs the operator role';
  return { watchJob, refreshJobs, reattach };
}
