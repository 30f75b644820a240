/**
 * The Images section: one row per local image name with its size and age, a Remove button
 * that asks first, and a small pull form. A pull runs on the server (POST images answers at
 * once); its progress is the pulls section's row (views/pulls.ts), and how it ended is told
 * here under the form when the model's pulls section says so (src/pulls.ts, `ended`).
 */
import { sameValue } from '../equal';
import type { Image, ImageRemoved } from '../generated/rest';
import type { IPullEnd } from '../pulls';
import { confirmDanger, showFailure } from './dialogs';
import { element, setProperty, setText } from './dom';

const EMPTY_TEXT = 'No images on this machine yet. Pull one above.';

/** Bytes in Podman's units (decimal, as `podman images` shows them): "512 kB", "1.23 GB". */
export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** How long ago an image was made, as `podman images` says it: "3 days ago"; '' when unknown. */
export function formatAge(created: string | null, now: number): string {
  const then = created ? Date.parse(created) : NaN;
  if (Number.isNaN(then)) {
    return '';
  }
  const seconds = Math.max(0, (now - then) / 1000);
  const steps: [number, string][] = [
    [365 * 86400, 'year'],
    [30 * 86400, 'month'],
    [7 * 86400, 'week'],
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute']
  ];
  for (const [size, word] of steps) {
    if (seconds >= size) {
      const count = Math.floor(seconds / size);
      return `${count} ${word}${count === 1 ? '' : 's'} ago`;
    }
  }
  return 'just now';
}

/** One row per name an image has (an untagged image: its short id), in name order. */
export function imageRows(images: readonly Image[]): { name: string; image: Image }[] {
  const rows = images.flatMap(image => {
    const tags = image.tags.filter(tag => !tag.includes('<none>'));
    return (tags.length > 0 ? tags : [image.short_id]).map(name => ({ name, image }));
  });
  return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // the same order everywhere
}

export namespace ImagesView {
  export interface IOptions {
    /** POST images: resolves once the server accepted the pull; rejects with ApiError. */
    onPull: (image: string) => Promise<unknown>;
    /** DELETE images/{name}: what it did; rejects with ApiError (409 ImageInUse names the containers). */
    onRemove: (name: string) => Promise<ImageRemoved | null | void>;
    /** How a container is named to the user (a kernel's as "kernel of train.ipynb"); default: as given. */
    containerShown?: (name: string) => string;
    /** Ask before removing (default: a JupyterLab warning dialog); true to go on. */
    confirm?: (title: string, text: string, label: string) => Promise<boolean>;
    /** Show a failure (default: a JupyterLab dialog with the message as it is). */
    showFailure?: (title: string, error: unknown) => Promise<void>;
    /** Milliseconds since the epoch, for ages (tests fix it). */
    now?: () => number;
  }
}

interface IRow {
  node: HTMLDivElement;
  name: HTMLSpanElement;
  detail: HTMLDivElement;
  remove: HTMLButtonElement;
  image: Image;
  busy: boolean;
}

export class ImagesView {
  /** Render into `host` (the panel's .lc-Images): the pull form, then the rows. */
  constructor(
    readonly host: HTMLElement,
    private readonly options: ImagesView.IOptions
  ) {
    this._form = element('form', 'lc-PullForm');
    this._input = element('input', 'lc-PullImage');
    this._input.name = 'image';
    this._input.placeholder = 'registry/name:tag';
    this._input.setAttribute('aria-label', 'Image to pull');
    this._button = element('button', 'jp-Button lc-PullButton', 'Pull');
    this._button.type = 'submit';
    this._message = element('div', 'lc-FormMessage lc-PullMessage');
    this._message.setAttribute('role', 'status');
    const line = element('div', 'lc-PullLine');
    line.append(this._input, this._button);
    this._form.append(line, this._message);
    this._form.addEventListener('submit', event => {
      event.preventDefault();
      void this.pull(this._input.value);
    });
    this._list = element('div', 'lc-ImageList');
    this._empty = element('p', 'lc-Empty', EMPTY_TEXT);
    host.append(this._form, this._list);
  }

  /** The row node of an image name, if shown. */
  rowNode(name: string): HTMLElement | undefined {
    return this._rows.get(name)?.node;
  }

  /** Show these images, one row per name, rows updated in place. */
  update(images: readonly Image[]): void {
    const wanted = imageRows(images);
    const names = new Set(wanted.map(row => row.name));
    for (const [name, row] of this._rows) {
      if (!names.has(name)) {
        row.node.remove();
        this._rows.delete(name);
      }
    }
    if (wanted.length === 0 && this._empty.parentNode !== this._list) {
      this._list.appendChild(this._empty);
    } else if (wanted.length > 0 && this._empty.parentNode === this._list) {
      this._empty.remove();
    }
    wanted.forEach(({ name, image }, index) => {
      let row = this._rows.get(name);
      if (!row) {
        row = this._createRow(name, image);
        this._rows.set(name, row);
      } else if (!sameValue(row.image, image)) {
        row.image = image;
      }
      this._render(name, row);
      const there = this._list.children.item(index);
      if (there !== row.node) {
        this._list.insertBefore(row.node, there);
      }
    });
  }

  /** Ask the server to pull IMAGE; its progress shows as a pull row, its end under the form. */
  async pull(text: string): Promise<void> {
    const image = text.trim();
    if (!image) {
      this._say('Type the image to pull, e.g. docker.io/library/python:3.12.', 'lc-down');
      return;
    }
    setProperty(this._button, 'disabled', true);
    // Said before the POST: the pull's end (pullEnded) may come as soon as the POST is answered.
    this._say(`Pulling ${image}…`, '');
    try {
      await this.options.onPull(image);
      this._input.value = '';
    } catch (error) {
      this._say(error instanceof Error ? error.message : String(error), 'lc-down');
    } finally {
      setProperty(this._button, 'disabled', false);
    }
  }

  /** A pull started here ended: say how under the form. */
  pullEnded(end: IPullEnd): void {
    if (end.error) {
      this._say(end.error.message, 'lc-down');
    } else {
      this._say(`Pulled ${end.image}.`, 'lc-ok');
    }
  }

  /** Remove an image name after the user said yes; a refusal (409) is shown in a dialog. */
  async remove(name: string): Promise<void> {
    const row = this._rows.get(name);
    if (!row || row.busy) {
      return;
    }
    const confirm = this.options.confirm ?? confirmDanger;
    const accepted = await confirm(
      `Remove the image ${name}?`,
      `The name ${name} comes off this machine. The image itself (${formatSize(row.image.size)}) is deleted ` +
        'too, unless it has other names or a container uses it. No container is ever removed.',
      'Remove'
    );
    if (!accepted) {
      return;
    }
    this._setBusy(name, true);
    try {
      const removed = await this.options.onRemove(name);
      if (removed) {
        this._say(removalNote(removed, this.options.containerShown), 'lc-ok');
      }
    } catch (error) {
      await (this.options.showFailure ?? showFailure)(`Could not remove ${name}`, error);
    } finally {
      this._setBusy(name, false);
    }
  }

  private _createRow(name: string, image: Image): IRow {
    const node = element('div', 'lc-Row lc-ImageRow');
    node.dataset.name = name;
    const info = element('div', 'lc-RowInfo');
    const row: IRow = {
      node,
      name: element('span', 'lc-Name'),
      detail: element('div', 'lc-Detail'),
      remove: element('button', 'jp-Button lc-Action lc-remove', 'Remove'),
      image,
      busy: false
    };
    row.remove.dataset.action = 'remove';
    row.remove.title = `Remove the image ${name}`;
    row.remove.addEventListener('click', () => void this.remove(name));
    info.append(row.name, row.detail);
    const buttons = element('div', 'lc-Buttons');
    buttons.appendChild(row.remove);
    node.append(info, buttons);
    return row;
  }

  private _render(name: string, row: IRow): void {
    const now = (this.options.now ?? Date.now)();
    const age = formatAge(row.image.created, now);
    setText(row.name, name);
    setText(row.detail, `${formatSize(row.image.size)}${age ? ` · ${age}` : ''} · ${row.image.short_id}`);
    setProperty(row.node, 'className', `lc-Row lc-ImageRow${row.busy ? ' lc-busy' : ''}`);
    setProperty(row.remove, 'disabled', row.busy);
  }

  private _setBusy(name: string, busy: boolean): void {
    const row = this._rows.get(name);
    if (row) {
      row.busy = busy;
      this._render(name, row);
    }
  }

  private _say(text: string, state: '' | 'lc-ok' | 'lc-down'): void {
    setText(this._message, text);
    setProperty(this._message, 'className', `lc-FormMessage lc-PullMessage${state ? ` ${state}` : ''}`);
  }

  private readonly _form: HTMLFormElement;
  private readonly _input: HTMLInputElement;
  private readonly _button: HTMLButtonElement;
  private readonly _message: HTMLDivElement;
  private readonly _list: HTMLDivElement;
  private readonly _empty: HTMLParagraphElement;
  private readonly _rows = new Map<string, IRow>();
}

/**
 * What a removal did, in one sentence: the image deleted, or why it stays (Podman untags a
 * name without a word when the image has other names or containers use it).
 */
export function removalNote(removed: ImageRemoved, shown: (name: string) => string = name => name): string {
  const name = removed.image;
  if (removed.deleted.length) {
    return `Removed ${name} and its image.`;
  }
  const reasons: string[] = [];
  if (removed.used_by.length) {
    const users = removed.used_by.map(shown);
    reasons.push(`${users.length === 1 ? 'the container' : 'the containers'} ${users.join(', ')} ${users.length === 1 ? 'uses' : 'use'} it`);
  }
  if (removed.other_names.length) {
    reasons.push(`it is still named ${removed.other_names.join(', ')}`);
  }
  return reasons.length
    ? `Removed the name ${name}. The image itself stays: ${reasons.join(', and ')}.`
    : `Removed the name ${name}.`;
}
