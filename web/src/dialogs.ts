import { byId, fill, h } from './dom';

/**
 * The two native <dialog>s of the page: a modal for confirmations and forms, a drawer for details. showModal()
 * gives focus trapping and Escape for free; the browser returns focus to the opener on close.
 */
export interface ModalHandle {
  body: HTMLElement;
  actions: HTMLElement;
  setTitle(title: string): void;
  close: () => void;
}

function open(id: 'modal' | 'drawer', title: string): ModalHandle {
  const dialog = byId<HTMLDialogElement>(id);
  const heading = h('h2', { id: `${id}-h` }, title);
  const body = h('div', { class: 'dialog-body' });
  const actions = h('div', { class: 'dialog-actions' });
  const close = () => dialog.close();
  fill(
    dialog,
    h('div', { class: 'dialog-head' }, heading, h('button', { type: 'button', class: 'icon', 'aria-label': 'Close', onclick: close }, '×')),
    body,
    actions,
  );
  if (dialog.open) dialog.close();
  dialog.showModal();
  return { body, actions, setTitle: (t) => (heading.textContent = t), close };
}

export const openModal = (title: string): ModalHandle => open('modal', title);
export const openDrawer = (title: string): ModalHandle => open('drawer', title);

/** A labelled definition list from [term, value] pairs; values may be nodes. */
export function facts(pairs: [string, Node | string | null | undefined][]): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    pairs.filter(([, v]) => v !== null && v !== undefined && v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v as Node | string)]),
  );
}
