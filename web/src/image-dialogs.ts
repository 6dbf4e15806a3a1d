import { ApiError, type BlockingContainer, type ImageRemovalPreview } from '../../src/client/rest-client';
import type { Ctx } from './context';
import { facts, openDrawer, openModal, type ModalHandle } from './dialogs';
import { h, fill } from './dom';
import { ago, bytes, shortId } from './format';
import { describeError } from './session';

const list = (items: string[], empty = 'none'): HTMLElement =>
  items.length
    ? h(
        'ul',
        { class: 'plain mono' },
        items.map((i) => h('li', {}, i)),
      )
    : h('span', { class: 'muted' }, empty);
const code = (v: string[] | null): string => (v && v.length ? JSON.stringify(v) : '—');

/** The inspect drawer: how the image runs (entrypoint, cmd, env, ports) and how it was built (layers, history). */
export async function inspectImage(ctx: Ctx, ref: string): Promise<void> {
  const d = openDrawer(`Image ${ref}`);
  d.body.append(h('p', {}, 'Loading…'));
  try {
    const [img, history] = await Promise.all([ctx.session.api.inspectImage(ref), ctx.session.api.imageHistory(ref)]);
    fill(
      d.body,
      facts([
        ['Id', h('span', { class: 'mono' }, img.id)],
        ['Tags', list(img.repoTags)],
        ['Created', `${new Date(img.created).toLocaleString()} (${ago(img.created)})`],
        ['Platform', `${img.os}/${img.architecture}`],
        ['Size', bytes(img.size)],
        ['Entrypoint', h('code', {}, code(img.entrypoint))],
        ['Cmd', h('code', {}, code(img.cmd))],
        ['Working dir', img.workingDir || '/'],
        ['User', img.user || 'root (default)'],
        ['Exposed ports', list(img.exposedPorts)],
        ['Environment', list(img.env)],
        ['Labels', list(Object.entries(img.labels).map(([k, v]) => `${k}=${v}`))],
      ]),
      h('h3', {}, `Layers (${img.layers.length}, base first)`),
      h(
        'ol',
        { class: 'mono small' },
        img.layers.map((l) => h('li', {}, shortId(l.replace(/^sha256:/, '')))),
      ),
      h('h3', {}, 'History (newest first)'),
      h(
        'table',
        { class: 'list small' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Step'), h('th', { scope: 'col' }, 'Size'), h('th', { scope: 'col' }, 'Created'))),
        h(
          'tbody',
          {},
          history.map((e) =>
            h(
              'tr',
              {},
              h('td', { class: 'mono wrap' }, e.createdBy || e.comment || '—'),
              h('td', { class: 'num' }, e.emptyLayer ? '0 B (metadata)' : bytes(e.size)),
              h('td', {}, ago(e.created)),
            ),
          ),
        ),
      ),
    );
  } catch (err) {
    fill(d.body, h('p', { class: 'error', role: 'alert' }, describeError(err)));
  }
}

export function tagImage(ctx: Ctx, ref: string, repository: string): void {
  const m = openModal(`Tag ${ref}`);
  const repo = h('input', { id: 'tag-repo', name: 'repository', required: true, value: repository, spellcheck: 'false' });
  const tag = h('input', { id: 'tag-tag', name: 'tag', required: true, pattern: '[A-Za-z0-9_][A-Za-z0-9_.\\-]{0,127}', spellcheck: 'false' });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { class: 'stack' },
    h('label', { for: 'tag-repo' }, 'Repository'),
    repo,
    h('label', { for: 'tag-tag' }, 'Tag'),
    tag,
    error,
    h('button', { type: 'submit' }, 'Tag image'),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const res = await ctx.session.api.tagImage(ref, repo.value.trim(), tag.value.trim());
      m.close();
      ctx.announce(`Tagged ${shortId(res.id)} as ${res.image}`);
      ctx.refreshImages();
    } catch (err) {
      error.textContent = describeError(err);
    }
  });
  m.body.append(form);
  tag.focus();
}

const blockers = (cs: BlockingContainer[]): HTMLElement =>
  h(
    'ul',
    { class: 'plain blockers' },
    cs.map((c) => h('li', {}, h('strong', {}, c.name), ` (${c.state}) `, h('span', { class: 'mono muted' }, shortId(c.id)))),
  );

function previewFacts(p: ImageRemovalPreview | { untagged: string[]; deleted: string[]; bytesFreed: number }): HTMLElement {
  return facts([
    ['Would untag', list(p.untagged)],
    ['Would delete', list(p.deleted.map(shortId))],
    ['Would free', bytes(p.bytesFreed)],
  ]);
}

/** Remove: a plain delete first; a refusal explains itself (who blocks), and a force is only offered after its dry run. */
export function removeImage(ctx: Ctx, ref: string): void {
  const m = openModal(`Remove ${ref}?`);
  m.body.append(h('p', {}, 'This untags ', h('strong', { class: 'mono' }, ref), ', and deletes the image when that was its last name.'));
  const go = h('button', { type: 'button', class: 'danger', onclick: () => void attempt() }, 'Remove');
  m.actions.append(go, h('button', { type: 'button', onclick: m.close }, 'Cancel'));
  go.focus();

  async function attempt(): Promise<void> {
    try {
      const res = await ctx.session.api.removeImage(ref);
      m.close();
      ctx.announce(`Removed ${ref}: untagged ${res.untagged.length}, deleted ${res.deleted.length} image(s)`);
      ctx.refreshImages();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) return explainConflict(m, err);
      fill(m.body, h('p', { class: 'error', role: 'alert' }, describeError(err)));
    }
  }

  function explainConflict(modal: ModalHandle, err: ApiError): void {
    const containers = (err.problem.containers as BlockingContainer[] | undefined) ?? [];
    const children = (err.problem.childImages as string[] | undefined) ?? [];
    const running = containers.filter((c) => c.state === 'running' || c.state === 'paused' || c.state === 'restarting');
    modal.setTitle(`Cannot remove ${ref}`);
    fill(
      modal.body,
      h('p', { class: 'error', role: 'alert', id: 'remove-refusal' }, err.message),
      containers.length > 0 && h('div', {}, h('h3', {}, 'Blocked by these containers'), blockers(containers)),
      children.length > 0 && h('div', {}, h('h3', {}, 'Images built on it'), list(children.map(shortId))),
      running.length > 0 && h('p', {}, 'A running container blocks the removal even with force: stop and remove it first.'),
    );
    fill(modal.actions, h('button', { type: 'button', onclick: modal.close }, 'Close'));
    if (running.length === 0 && children.length === 0) {
      const preview = h('button', { type: 'button', onclick: () => void previewForce(modal) }, 'Preview forced removal…');
      modal.actions.prepend(preview);
      preview.focus();
    }
  }

  async function previewForce(modal: ModalHandle): Promise<void> {
    try {
      const p = await ctx.session.api.previewImageRemoval(ref, { force: true });
      modal.setTitle(`Force remove ${ref}? (dry run)`);
      fill(
        modal.body,
        h('p', {}, 'Nothing has changed yet. A forced removal would do this:'),
        previewFacts(p),
        p.blocked && h('p', { class: 'error' }, `Still blocked (${p.blockedReason}).`),
      );
      const force = h('button', { type: 'button', class: 'danger', disabled: p.blocked, onclick: () => void forceRemove(modal) }, 'Force remove');
      fill(modal.actions, force, h('button', { type: 'button', onclick: modal.close }, 'Cancel'));
      force.focus();
    } catch (err) {
      fill(modal.body, h('p', { class: 'error', role: 'alert' }, describeError(err)));
    }
  }

  async function forceRemove(modal: ModalHandle): Promise<void> {
    try {
      const res = await ctx.session.api.removeImage(ref, { force: true });
      modal.close();
      ctx.announce(`Force-removed ${ref}: deleted ${res.deleted.length} image(s)`);
      ctx.refreshImages();
    } catch (err) {
      fill(modal.body, h('p', { class: 'error', role: 'alert' }, describeError(err)));
    }
  }
}

/** Prune: always a dry run first, then the real prune from the same choices. */
export function pruneImages(ctx: Ctx): void {
  const m = openModal('Prune unused images');
  const all = h('input', { type: 'checkbox', id: 'prune-all' });
  const result = h('div', { id: 'prune-preview', 'aria-live': 'polite' });
  const previewBtn = h('button', { type: 'button', onclick: () => void preview() }, 'Preview (dry run)');
  const pruneBtn = h('button', { type: 'button', class: 'danger', disabled: true, onclick: () => void prune() }, 'Prune now');
  m.body.append(
    h('p', {}, 'Dangling (untagged) images go. An image a container uses never goes.'),
    h('p', {}, all, ' ', h('label', { for: 'prune-all' }, 'Also tagged images no container uses')),
    result,
  );
  m.actions.append(previewBtn, pruneBtn, h('button', { type: 'button', onclick: m.close }, 'Cancel'));
  all.addEventListener('change', () => (pruneBtn.disabled = true));
  previewBtn.focus();

  async function preview(): Promise<void> {
    try {
      const p = await ctx.session.api.pruneImages({ all: all.checked, dryRun: true });
      fill(result, p.deleted.length || p.untagged.length ? previewFacts(p) : h('p', {}, 'Nothing to prune.'));
      pruneBtn.disabled = p.deleted.length === 0 && p.untagged.length === 0;
    } catch (err) {
      fill(result, h('p', { class: 'error', role: 'alert' }, describeError(err)));
    }
  }
  async function prune(): Promise<void> {
    try {
      const p = await ctx.session.api.pruneImages({ all: all.checked, dryRun: false });
      m.close();
      ctx.announce(`Pruned ${p.deleted.length} image(s), freed ${bytes(p.bytesFreed)}`);
      ctx.refreshImages();
    } catch (err) {
      fill(result, h('p', { class: 'error', role: 'alert' }, describeError(err)));
    }
  }
}
