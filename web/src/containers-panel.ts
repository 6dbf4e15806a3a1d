import type { ContainerAction, ContainerSummary } from '../../src/client/rest-client';
import type { Ctx } from './context';
import { openModal } from './dialogs';
import { fill, h } from './dom';
import { bytes, shortId } from './format';
import { RunFormError, runRequest } from './run-spec';
import { describeError } from './session';

const field = (id: string, label: string, input: HTMLInputElement | HTMLTextAreaElement, hint?: string) =>
  h('div', { class: 'field' }, h('label', { for: id }, label), input, hint && h('small', { id: `${id}-hint`, class: 'muted' }, hint));

/** The container list (`docker ps -a -s`), the run form, lifecycle buttons, and the way into logs and stats. */
export function containersPanel(section: HTMLElement, ctx: Ctx): { refresh(): Promise<void> } {
  const inputs = {
    image: h('input', { id: 'run-image', name: 'image', required: true, spellcheck: 'false', autocomplete: 'off' }),
    name: h('input', { id: 'run-name', name: 'name', spellcheck: 'false', autocomplete: 'off', pattern: '[a-zA-Z0-9][a-zA-Z0-9_.\\-]+' }),
    ports: h('input', { id: 'run-ports', name: 'ports', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'run-ports-hint' }),
    cmd: h('input', { id: 'run-cmd', name: 'cmd', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'run-cmd-hint' }),
    env: h('textarea', { id: 'run-env', name: 'env', rows: 2, spellcheck: 'false', 'aria-describedby': 'run-env-hint' }),
    labels: h('textarea', { id: 'run-labels', name: 'labels', rows: 2, spellcheck: 'false', 'aria-describedby': 'run-labels-hint' }),
  };
  const runError = h('p', { class: 'error', role: 'alert' });
  const runForm = h(
    'form',
    { id: 'run-form', class: 'run-form' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Run a container'),
      h(
        'div',
        { class: 'fields' },
        field('run-image', 'Image', inputs.image),
        field('run-name', 'Name (optional)', inputs.name),
        field('run-ports', 'Ports', inputs.ports, 'hostPort:containerPort, e.g. 8080:80, 53:53/udp'),
        field('run-cmd', 'Command', inputs.cmd, 'words, or a JSON array ["sh","-c","…"]'),
        field('run-env', 'Environment', inputs.env, 'NAME=value, one per line'),
        field('run-labels', 'Labels', inputs.labels, 'key=value, one per line'),
      ),
      runError,
      h('button', { type: 'submit' }, 'Run'),
    ),
  );
  runForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    runError.textContent = '';
    try {
      const req = runRequest({
        image: inputs.image.value,
        name: inputs.name.value,
        ports: inputs.ports.value,
        env: inputs.env.value,
        cmd: inputs.cmd.value,
        labels: inputs.labels.value,
      });
      const c = await ctx.session.api.createContainer(req);
      ctx.announce(`Container ${c.name.replace(/^\//, '')} is ${c.state.status}`);
      void refresh();
    } catch (err) {
      runError.textContent = err instanceof RunFormError ? err.message : describeError(err);
    }
  });

  const showAll = h('input', { type: 'checkbox', id: 'ct-all', checked: true, onchange: () => void refresh() });
  const sizes = h('input', { type: 'checkbox', id: 'ct-size', checked: true, onchange: () => void refresh() });
  const status = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const tbody = h('tbody');
  section.append(
    ctx.session.can('admin') ? runForm : h('p', { class: 'muted' }, 'Running containers needs the admin role.'),
    h(
      'div',
      { class: 'toolbar' },
      h('button', { type: 'button', onclick: () => void refresh() }, 'Refresh'),
      ctx.session.can('operator') && h('button', { type: 'button', id: 'check-updates', onclick: () => void checkUpdates() }, 'Check for updates'),
      h('span', {}, showAll, ' ', h('label', { for: 'ct-all' }, 'Show stopped')),
      h('span', {}, sizes, ' ', h('label', { for: 'ct-size' }, 'Sizes (slower)')),
    ),
    status,
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'list', id: 'containers-table' },
        h('caption', { class: 'sr-only' }, 'Containers'),
        h(
          'thead',
          {},
          h('tr', {}, ...['Name', 'Image', 'State', 'Ports', 'Size (RW / virtual)', 'Actions'].map((c) => h('th', { scope: 'col' }, c))),
        ),
        tbody,
      ),
    ),
  );

  const checkUpdates = async () => {
    try {
      const job = await ctx.session.api.checkUpdates();
      ctx.announce('Checking every image in use for updates');
      ctx.watchJob(job);
    } catch (err) {
      ctx.announce(describeError(err), 'error');
    }
  };

  const recreate = async (c: ContainerSummary) => {
    const name = c.names[0] ?? shortId(c.id);
    try {
      // An outdated container needs its tag pulled first; a pending one already has the newer image locally.
      const job = await ctx.session.api.recreateContainer(c.id, { pull: c.update?.status === 'outdated' });
      ctx.announce(`Recreating ${name}`);
      ctx.watchJob(job);
    } catch (err) {
      ctx.announce(describeError(err), 'error');
    }
  };

  const updateBadge = (c: ContainerSummary) => {
    const s = c.update?.status;
    if (s === 'outdated')
      return h(
        'span',
        { class: 'badge update-available', title: `The registry has a newer image (checked ${c.update?.checkedAt ?? ''})` },
        'update available',
      );
    if (s === 'recreate_pending')
      return h('span', { class: 'badge update-available', title: 'A newer image is pulled; recreate to use it' }, 'recreate pending');
    return null;
  };

  const act = async (c: ContainerSummary, action: ContainerAction) => {
    try {
      const res = await ctx.session.api.containerAction(c.id, action);
      ctx.announce(`${res.name}: ${action}${res.changed ? '' : ' (nothing to do)'} → ${res.state.status}`);
    } catch (err) {
      ctx.announce(describeError(err), 'error');
    }
    void refresh();
  };

  const remove = (c: ContainerSummary) => {
    const name = c.names[0] ?? shortId(c.id);
    const running = c.state === 'running' || c.state === 'paused' || c.state === 'restarting';
    const m = openModal(`Remove container ${name}?`);
    m.body.append(
      h(
        'p',
        {},
        running ? 'It is running: it will be killed first. Its own layer (what it wrote) is deleted.' : 'Its own layer (what it wrote) is deleted.',
      ),
    );
    const go = h(
      'button',
      {
        type: 'button',
        class: 'danger',
        onclick: async () => {
          try {
            await ctx.session.api.removeContainer(c.id, { force: running });
            m.close();
            ctx.announce(`Removed container ${name}`);
            void refresh();
            ctx.refreshImages();
          } catch (err) {
            m.body.append(h('p', { class: 'error', role: 'alert' }, describeError(err)));
          }
        },
      },
      'Remove',
    );
    m.actions.append(go, h('button', { type: 'button', onclick: m.close }, 'Cancel'));
    go.focus();
  };

  const portLinks = (c: ContainerSummary) => {
    const seen = new Set<string>();
    return c.ports
      .filter((p) => {
        const key = `${p.publicPort ?? ''}:${p.privatePort}/${p.type}`;
        return seen.has(key) ? false : (seen.add(key), true);
      })
      .map((p) =>
        p.publicPort && p.type === 'tcp'
          ? h(
              'a',
              { href: `http://${location.hostname}:${p.publicPort}/`, target: '_blank', rel: 'noopener noreferrer', class: 'port' },
              `${p.publicPort}→${p.privatePort}/${p.type}`,
            )
          : h('span', { class: 'port' }, p.publicPort ? `${p.publicPort}→${p.privatePort}/${p.type}` : `${p.privatePort}/${p.type}`),
      );
  };

  const row = (c: ContainerSummary) => {
    const name = c.names[0] ?? shortId(c.id);
    const op = ctx.session.can('operator');
    const btn = (label: string, action: ContainerAction) =>
      op && h('button', { type: 'button', 'aria-label': `${label} ${name}`, onclick: () => void act(c, action) }, label);
    const live = c.state === 'running' || c.state === 'paused';
    return h(
      'tr',
      { 'data-container': name },
      h('th', { scope: 'row', class: 'breakable' }, h('span', { class: 'mono' }, name), h('br'), h('span', { class: 'muted small' }, c.status)),
      h('td', { class: 'mono breakable' }, c.image, updateBadge(c) && [' ', updateBadge(c)]),
      h('td', {}, h('span', { class: `badge ct-${c.state}` }, c.state)),
      h('td', { class: 'ports' }, portLinks(c)),
      h('td', { class: 'num' }, c.sizeRw === undefined ? '—' : `${bytes(c.sizeRw)} / ${bytes(c.sizeRootFs)}`),
      h(
        'td',
        { class: 'actions' },
        live
          ? [btn('Stop', 'stop'), btn('Restart', 'restart'), c.state === 'paused' ? btn('Unpause', 'unpause') : btn('Pause', 'pause')]
          : btn('Start', 'start'),
        op &&
          (c.update?.status === 'outdated' || c.update?.status === 'recreate_pending') &&
          h('button', { type: 'button', 'aria-label': `Recreate ${name} on the newer image`, onclick: () => void recreate(c) }, 'Recreate'),
        h('button', { type: 'button', 'aria-label': `Logs and stats of ${name}`, onclick: () => ctx.openLive(c) }, 'Logs & stats'),
        live &&
          ctx.session.can('admin') &&
          h(
            'button',
            { type: 'button', 'aria-label': `Terminal of ${name}`, onclick: (ev) => ctx.openTerminal(c, ev.currentTarget as HTMLElement) },
            'Terminal',
          ),
        ctx.session.can('admin') &&
          h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${name}`, onclick: () => remove(c) }, 'Remove'),
      ),
    );
  };

  async function refresh(): Promise<void> {
    try {
      const items = await ctx.session.api.listContainers({ all: showAll.checked, size: sizes.checked, updates: true });
      items.sort((a, b) => b.created.localeCompare(a.created));
      fill(tbody, items.length ? items.map(row) : h('tr', {}, h('td', { colspan: 6 }, 'No containers.')));
      fill(status, `${items.length} container(s), ${items.filter((c) => c.state === 'running').length} running`);
    } catch (err) {
      fill(status, h('span', { class: 'error' }, describeError(err)));
    }
  }
  return { refresh };
}
