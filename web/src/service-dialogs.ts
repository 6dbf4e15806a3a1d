import { ApiError, type Job, type SwarmService } from '../../src/client/rest-client';
import type { Ctx } from './context';
import { openDrawer, openModal } from './dialogs';
import { fill, h } from './dom';
import { clock, shortId } from './format';
import { splitDigest } from './service-text';
import { describeError } from './session';

/** What a service action reports back to the pane: the job it started, or that the list must be read again. */
export interface ServiceActions {
  started(service: SwarmService, job: Job): void;
  refresh(): void;
}

/** A refusal in words; a 412 means someone changed the service since this list was read. */
function explain(err: unknown): string {
  if (err instanceof ApiError && err.status === 412) return 'The service changed since the list was read: the list is read again, try once more.';
  return describeError(err);
}

/** A modal with one labelled input and a submit button that starts a job. */
function jobForm(
  title: string,
  input: HTMLInputElement,
  label: string,
  submitLabel: string,
  start: () => Promise<Job>,
  s: SwarmService,
  on: ServiceActions,
): void {
  const m = openModal(title);
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { class: 'stack' },
    h('div', { class: 'field' }, h('label', { for: input.id }, label), input),
    error,
    h('div', { class: 'dialog-actions' }, h('button', { type: 'submit' }, submitLabel), h('button', { type: 'button', onclick: m.close }, 'Cancel')),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    try {
      on.started(s, await start());
      m.close();
    } catch (err) {
      error.textContent = explain(err);
      if (err instanceof ApiError && err.status === 412) on.refresh();
    }
  });
  m.body.append(form);
  input.focus();
  input.select();
}

export function scaleService(ctx: Ctx, s: SwarmService, on: ServiceActions): void {
  const input = h('input', { id: 'scale-replicas', type: 'number', min: 0, max: 1000, required: true, value: s.desired });
  jobForm(`Scale ${s.name}`, input, 'Replicas', 'Scale', () => ctx.session.api.scaleSwarmService(s.name, Number(input.value), s.version), s, on);
}

export function updateServiceImage(ctx: Ctx, s: SwarmService, on: ServiceActions): void {
  const input = h('input', { id: 'update-image', required: true, spellcheck: 'false', autocomplete: 'off', value: splitDigest(s.image).ref });
  jobForm(
    `Update the image of ${s.name}`,
    input,
    'Image (pinned to its digest, rolled out task by task)',
    'Update',
    () => ctx.session.api.updateSwarmService(s.name, { image: input.value.trim() }, s.version),
    s,
    on,
  );
}

export async function rollbackService(ctx: Ctx, s: SwarmService, on: ServiceActions): Promise<void> {
  try {
    on.started(s, await ctx.session.api.rollbackSwarmService(s.name, s.version));
  } catch (err) {
    ctx.announce(`Rollback of ${s.name}: ${explain(err)}`, 'error');
    on.refresh();
  }
}

export function removeService(ctx: Ctx, s: SwarmService, on: ServiceActions): void {
  const m = openModal(`Remove service ${s.name}?`);
  m.body.append(h('p', {}, `Its ${s.running} running task(s) are stopped and removed on every node.`));
  const go = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      onclick: async () => {
        try {
          await ctx.session.api.removeSwarmService(s.name);
          m.close();
          ctx.announce(`Removed service ${s.name}`);
          on.refresh();
        } catch (err) {
          m.body.append(h('p', { class: 'error', role: 'alert' }, describeError(err)));
        }
      },
    },
    'Remove',
  );
  m.actions.append(go, h('button', { type: 'button', onclick: m.close }, 'Cancel'));
  go.focus();
}

/** The service's recent output across its tasks on every node, each line naming its task, node and engine. */
export function serviceLogs(ctx: Ctx, s: SwarmService): void {
  const d = openDrawer(`Logs of ${s.name}`);
  const status = h('p', { class: 'muted small', 'aria-live': 'polite' }, 'Loading…');
  const list = h('ol', { class: 'logs service-logs', 'aria-label': `Log lines of ${s.name}` });
  const load = async () => {
    try {
      const r = await ctx.session.api.swarmServiceLogs(s.name, { tail: 200, timestamps: true });
      fill(
        list,
        r.lines.map((l) =>
          h(
            'li',
            { class: l.stream, 'data-task': l.taskId, 'data-node': l.nodeId, 'data-engine': l.engine ?? '' },
            h(
              'span',
              { class: 'log-source' },
              `${l.timestamp ? `${clock(l.timestamp)} ` : ''}task ${shortId(l.taskId)} on ${l.engine ?? `node ${shortId(l.nodeId)}`}`,
            ),
            ' ',
            l.line,
          ),
        ),
      );
      fill(status, `${r.lines.length} line(s)${r.truncated ? ', cut at the size bound' : ''}`);
    } catch (err) {
      fill(status, h('span', { class: 'error' }, describeError(err)));
    }
  };
  d.body.append(h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: () => void load() }, 'Refresh')), status, list);
  void load();
}
