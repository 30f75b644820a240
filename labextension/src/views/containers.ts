/**
 * The container list: one row per container, keyed by name and updated in place. A refresh
 * that changes nothing touches no DOM; a changed container updates only its own row.
 */
import { sameValue } from '../equal';
import type { Container } from '../generated/rest';
import { element, setProperty, setText } from './dom';

/** A button of a container row. */
export type RowAction = 'start' | 'stop' | 'restart' | 'remove' | 'logs';

/** When a row button can be used: while the container runs, while it does not, or always. */
type When = 'running' | 'stopped' | 'always';

const BUTTONS: readonly { action: RowAction; label: string; when: When }[] = [
  { action: 'start', label: 'Start', when: 'stopped' },
  { action: 'stop', label: 'Stop', when: 'running' },
  { action: 'restart', label: 'Restart', when: 'running' },
  { action: 'remove', label: 'Remove', when: 'stopped' },
  { action: 'logs', label: 'Logs', when: 'always' }
];

const EMPTY_TEXT = 'No containers yet. Run one with %container run -d IMAGE in a notebook.';

export namespace ContainersView {
  export interface IOptions {
    /** Called when the user clicks an enabled row button. */
    onAction: (name: string, action: RowAction) => void;
  }
}

interface IRow {
  node: HTMLDivElement;
  name: HTMLSpanElement;
  badge: HTMLSpanElement;
  image: HTMLDivElement;
  detail: HTMLDivElement;
  buttons: Map<RowAction, HTMLButtonElement>;
  container: Container;
  busy: boolean;
}

export class ContainersView {
  /** Render into `host` (the panel's .lc-Containers). */
  constructor(
    readonly host: HTMLElement,
    private readonly options: ContainersView.IOptions
  ) {
    this._empty = element('p', 'lc-Empty', EMPTY_TEXT);
  }

  /** The row node of a container, if shown. */
  rowNode(name: string): HTMLElement | undefined {
    return this._rows.get(name)?.node;
  }

  /** Show these containers, in this order. */
  update(containers: readonly Container[]): void {
    const wanted = new Set(containers.map(container => container.name));
    for (const [name, row] of this._rows) {
      if (!wanted.has(name)) {
        row.node.remove();
        this._rows.delete(name);
      }
    }
    if (containers.length === 0) {
      if (this._empty.parentNode !== this.host) {
        this.host.appendChild(this._empty);
      }
      return;
    }
    if (this._empty.parentNode === this.host) {
      this._empty.remove();
    }
    containers.forEach((container, index) => {
      let row = this._rows.get(container.name);
      if (!row) {
        row = this._createRow(container);
        this._rows.set(container.name, row);
      } else if (!sameValue(row.container, container)) {
        row.container = container;
        this._render(row);
      }
      const there = this.host.children.item(index);
      if (there !== row.node) {
        this.host.insertBefore(row.node, there);
      }
    });
  }

  /** Mark a row as busy (an action runs): its buttons are disabled until it ends. */
  setBusy(name: string, busy: boolean): void {
    const row = this._rows.get(name);
    if (row && row.busy !== busy) {
      row.busy = busy;
      this._render(row);
    }
  }

  private _createRow(container: Container): IRow {
    const node = element('div', 'lc-Row');
    node.dataset.name = container.name;
    const info = element('div', 'lc-RowInfo');
    const row: IRow = {
      node,
      name: element('span', 'lc-Name'),
      badge: element('span', 'lc-StateBadge'),
      image: element('div', 'lc-Detail'),
      detail: element('div', 'lc-Detail'),
      buttons: new Map(),
      container,
      busy: false
    };
    info.append(row.name, row.badge, row.image, row.detail);
    const buttons = element('div', 'lc-Buttons');
    for (const { action, label } of BUTTONS) {
      const button = element('button', `jp-Button lc-Action lc-${action}`, label);
      button.dataset.action = action;
      button.addEventListener('click', () => {
        if (!button.disabled) {
          this.options.onAction(row.container.name, action);
        }
      });
      row.buttons.set(action, button);
      buttons.appendChild(button);
    }
    node.append(info, buttons);
    this._render(row);
    return row;
  }

  /** Bring one row's nodes in line with its container, writing only what differs. */
  private _render(row: IRow): void {
    const container = row.container;
    setProperty(row.node, 'className', `lc-Row lc-state-${container.state}${row.busy ? ' lc-busy' : ''}`);
    setText(row.name, container.name);
    setText(row.badge, container.state);
    setText(row.image, container.image);
    setText(row.detail, describe(container));
    const running = container.state === 'running';
    for (const { action, label, when } of BUTTONS) {
      const button = row.buttons.get(action);
      if (!button) {
        continue;
      }
      const possible = when === 'always' || (when === 'running') === running;
      // Reading the log never gets in the way of an action, so Logs stays usable while busy.
      setProperty(button, 'disabled', (row.busy && when !== 'always') || !possible);
      setProperty(button, 'title',
        !possible
          ? `${label} is not possible while the container is ${container.state}`
          : action === 'logs'
            ? `Show the log of ${container.name}`
            : `${label} ${container.name}`
      );
    }
  }

  private readonly _rows = new Map<string, IRow>();
  private readonly _empty: HTMLParagraphElement;
}

/** The row's second detail line: status words, GPUs, and whether it is a kernel. */
function describe(container: Container): string {
  const gpus = container.gpus.map(gpu => gpu.split('=').pop()).join(',');
  return `${container.status}${gpus ? ` · GPU ${gpus}` : ''}${container.purpose === 'kernel' ? ' · kernel' : ''}`;
}
