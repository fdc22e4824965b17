// The user's renders: filters by mode, room type and style, "load more" pagination, open
// and delete.

import { describeError } from './messages.js';
import { formatDateTime, labelFor } from './format.js';
import { showAlert } from './alert.js';

export class History {
  /**
   * @param {HTMLElement} root the history panel
   * @param {object} options {api, config, pageSize, onOpen(render), onDeleted(renderId), context()}
   */
  constructor(root, options) {
    Object.assign(this, options);
    this.root = root;
    this.list = root.querySelector('#history-list');
    this.more = root.querySelector('#history-more');
    this.emptyNote = root.querySelector('#history-empty');
    this.alert = root.querySelector('#history-alert');
    this.filters = root.querySelector('#history-filters');
    this.cursor = null;
    this.loading = false;
    this.generation = 0;

    addOptions(this.filters.elements.mode, this.config.modes);
    addOptions(this.filters.elements.roomType, this.config.roomTypes);
    addOptions(this.filters.elements.style, this.config.styles);
    this.filters.addEventListener('change', () => this.reload());
    this.filters.addEventListener('submit', (event) => event.preventDefault());
    this.more.addEventListener('click', () => this.load());
  }

  filter() {
    const f = this.filters.elements;
    return { mode: f.mode.value, roomType: f.roomType.value, style: f.style.value };
  }

  /** The first page again (after a new render, a delete or a filter change). */
  reload() {
    this.generation += 1;
    this.cursor = null;
    this.loading = false;
    this.list.replaceChildren();
    return this.load();
  }

  async load() {
    if (this.loading) return;
    this.loading = true;
    const generation = this.generation;
    this.more.disabled = true;
    this.more.textContent = 'Loading…';
    try {
      const page = await this.api.renders({ ...this.filter(), cursor: this.cursor, limit: this.pageSize });
      if (generation !== this.generation) return;
      this.hideAlert();
      const first = this.list.children.length === 0;
      const cards = page.items.map((item) => this.card(item));
      this.list.append(...cards);
      this.cursor = page.nextCursor;
      this.more.hidden = !page.nextCursor;
      this.emptyNote.hidden = this.list.children.length > 0;
      this.emptyNote.textContent = Object.values(this.filter()).some(Boolean)
        ? 'No renders match these filters.' : 'No renders yet.';
      // "Load more" disappears after the last page: keep the keyboard user's place.
      if (!first && this.more.hidden && cards.length && document.activeElement === this.more) {
        cards[0].querySelector('.render-actions .button').focus();
      }
    } catch (error) {
      if (generation !== this.generation || error.code === 'UNAUTHORIZED') return;
      const { title, text } = describeError(error, this.context());
      this.showAlert(`${title}: ${text}`, () => this.load());
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.more.disabled = false;
        this.more.textContent = 'Load more';
      }
    }
  }

  card(item) {
    const { config } = this;
    const li = document.createElement('li');
    li.className = 'render-card';
    li.dataset.renderId = item.id;
    const description = `${labelFor(config.styles, item.style)} ${labelFor(config.roomTypes, item.roomType)}`;

    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'render-open';
    // The Open button below is the keyboard's way in; this one is for pointers.
    open.tabIndex = -1;
    open.setAttribute('aria-hidden', 'true');
    const image = document.createElement('img');
    image.alt = '';
    image.width = 384;
    image.height = 384;
    image.loading = 'lazy';
    if (item.coverThumbUrl) image.src = item.coverThumbUrl;
    open.append(image);
    open.addEventListener('click', () => this.onOpen(item));

    const meta = document.createElement('div');
    meta.className = 'render-meta';
    const title = document.createElement('strong');
    title.textContent = `${labelFor(config.styles, item.style)} · ${labelFor(config.roomTypes, item.roomType)}`;
    const when = document.createElement('time');
    when.dateTime = item.createdAt;
    when.textContent = `${labelFor(config.modes, item.mode)} · ${formatDateTime(item.createdAt)}`;
    meta.append(title, when);

    const actions = document.createElement('div');
    actions.className = 'render-actions';
    this.showActions(actions, item, description);
    li.append(open, meta, actions);
    return li;
  }

  showActions(actions, item, description) {
    const open = button('Open', 'button button-quiet', () => this.onOpen(item));
    open.setAttribute('aria-label', `Open ${description}`);
    const remove = button('Delete', 'button button-quiet button-danger', () => this.confirmDelete(actions, item, description));
    remove.setAttribute('aria-label', `Delete ${description}`);
    actions.replaceChildren(open, remove);
  }

  /** Deleting removes the images for good, so it asks once, in place. */
  confirmDelete(actions, item, description) {
    const keep = button('Keep', 'button button-quiet', () => {
      this.showActions(actions, item, description);
      actions.querySelector('.button-danger').focus();
    });
    const confirm = button('Delete for good', 'button button-danger', () => this.remove(actions, item, description));
    confirm.setAttribute('aria-label', `Delete ${description} for good`);
    actions.replaceChildren(keep, confirm);
    keep.focus();
  }

  async remove(actions, item, description) {
    for (const control of actions.querySelectorAll('button')) control.disabled = true;
    try {
      await this.api.deleteRender(item.id);
      const card = actions.closest('.render-card');
      const next = card.nextElementSibling || card.previousElementSibling;
      card.remove();
      this.emptyNote.hidden = this.list.children.length > 0;
      this.showAlert(`Deleted ${description}.`, null, true);
      (next?.querySelector('.render-actions .button') || this.root.querySelector('#history-title')).focus();
      this.onDeleted(item.id);
    } catch (error) {
      for (const control of actions.querySelectorAll('button')) control.disabled = false;
      if (error.code === 'UNAUTHORIZED') return;
      const { title, text } = describeError(error, this.context());
      this.showAlert(`${title}: ${text}`);
    }
  }

  showAlert(text, retry, info = false) {
    showAlert(this.alert, { text }, retry && { label: 'Try again', run: retry }, { info });
  }

  hideAlert() {
    this.alert.hidden = true;
  }
}

function addOptions(select, items) {
  select.append(...items.map((item) => new Option(item.label, item.id)));
}

function button(text, className, onClick) {
  const element = document.createElement('button');
  element.type = 'button';
  element.className = className;
  element.textContent = text;
  element.addEventListener('click', onClick);
  return element;
}
