import { ApiError, type DiskUsage, type ImageSummary } from '../../src/client/rest-client';
import type { Ctx } from './context';
import { h, fill } from './dom';
import { ago, bytes, shortId, splitTag } from './format';
import { inspectImage, pruneImages, removeImage, tagImage } from './image-dialogs';
import { describeError } from './session';

/** A second try, a moment later, when the engine was busy (502 engine_error: another disk-usage walk was running). */
async function retryOnce<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 502) throw err;
    await new Promise((r) => setTimeout(r, 300));
    return fn();
  }
}

/** The images table (`docker images` with shared/unique sizes and an in-use badge) and the disk-usage totals. */
export function imagesPanel(section: HTMLElement, ctx: Ctx): { refresh(): Promise<void> } {
  const totals = h('p', { class: 'totals', id: 'image-totals' }, 'Loading…');
  const tbody = h('tbody');
  const pruneBtn = h('button', { type: 'button', onclick: () => pruneImages(ctx) }, 'Prune unused…');
  const refreshBtn = h('button', { type: 'button', onclick: () => void refresh() }, 'Refresh');
  const table = h(
    'table',
    { class: 'list', id: 'images-table' },
    h('caption', { class: 'sr-only' }, 'Local images'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Repository', 'Tag', 'Image ID', 'Created', 'Size', 'Shared', 'Unique', 'Containers', 'Actions'].map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    tbody,
  );
  section.append(h('div', { class: 'toolbar' }, refreshBtn, pruneBtn), totals, h('div', { class: 'scroll' }, table));

  const row = (img: ImageSummary, ref: string | undefined): HTMLTableRowElement => {
    const [repo, tag] = ref ? splitTag(ref) : ['<none>', '<none>'];
    const target = ref ?? img.id;
    const admin = ctx.session.can('admin');
    return h(
      'tr',
      { 'data-ref': target },
      h('th', { scope: 'row', class: 'mono breakable' }, repo),
      h(
        'td',
        { class: 'mono' },
        tag,
        img.update?.status === 'outdated' &&
          (!ref || img.update.reference === null || ref === img.update.reference || img.update.reference.endsWith(`/${ref}`)) && [
            ' ',
            h(
              'span',
              { class: 'badge update-available', title: `The registry has another image behind this tag (checked ${img.update.checkedAt ?? ''})` },
              'update available',
            ),
          ],
      ),
      h('td', { class: 'mono' }, shortId(img.id)),
      h('td', {}, ago(img.created)),
      h('td', { class: 'num' }, bytes(img.size)),
      h('td', { class: 'num' }, bytes(img.sharedSize)),
      h('td', { class: 'num' }, bytes(img.uniqueSize)),
      h('td', {}, img.inUse ? h('span', { class: 'badge in-use' }, `in use · ${img.containers}`) : h('span', { class: 'badge idle' }, 'unused')),
      h(
        'td',
        { class: 'actions' },
        h('button', { type: 'button', 'aria-label': `Inspect ${target}`, onclick: () => inspectImage(ctx, target) }, 'Inspect'),
        admin && h('button', { type: 'button', 'aria-label': `Tag ${target}`, onclick: () => tagImage(ctx, target, ref ? repo : '') }, 'Tag'),
        admin &&
          h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${target}`, onclick: () => removeImage(ctx, target) }, 'Remove'),
      ),
    );
  };

  const renderTotals = (images: ImageSummary[], du: DiskUsage | undefined) => {
    if (!du) return fill(totals, `${images.length} images (disk usage unavailable)`);
    fill(
      totals,
      h('span', {}, h('strong', {}, String(du.images.count)), ' images, ', h('strong', {}, String(du.images.active)), ' in use'),
      h('span', {}, 'layers on disk ', h('strong', {}, bytes(du.layersSize)), ' (shared layers counted once)'),
      h(
        'span',
        {},
        'reclaimable ',
        h('strong', {}, bytes(du.images.reclaimable)),
        du.images.reclaimableAtMost > du.images.reclaimable ? ` – ${bytes(du.images.reclaimableAtMost)}` : '',
      ),
      h('span', {}, 'containers write ', h('strong', {}, bytes(du.containers.sizeRw))),
    );
  };

  let lastUsage: DiskUsage | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  /** One refresh at a time (the engine refuses a second `/system/df` while one runs); a request meanwhile runs once after. */
  function refresh(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = load().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        void refresh();
      }
    });
    return running;
  }

  async function load(): Promise<void> {
    pruneBtn.hidden = !ctx.session.can('admin');
    try {
      // One after the other: both make the engine walk its layers (`/system/df`), which it refuses to do twice at
      // once. Disk usage may still be refused for a moment by someone else's df: keep the last totals then.
      // The update badge comes from the service's update cache: the list never calls a registry.
      const images = await retryOnce(() => ctx.session.api.listImages({ updates: true }));
      const du = await ctx.session.api.diskUsage().catch(() => lastUsage);
      lastUsage = du;
      images.sort((a, b) => (a.repoTags[0] ?? '~').localeCompare(b.repoTags[0] ?? '~'));
      fill(
        tbody,
        images.flatMap((img) => (img.repoTags.length ? img.repoTags.map((t) => row(img, t)) : [row(img, undefined)])),
      );
      if (images.length === 0) fill(tbody, h('tr', {}, h('td', { colspan: 9 }, 'No images yet: pull one.')));
      renderTotals(images, du);
    } catch (err) {
      fill(totals, h('span', { class: 'error' }, describeError(err)));
    }
  }
  return { refresh };
}
