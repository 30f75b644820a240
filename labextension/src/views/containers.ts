/**
 * The container list: one row per container, keyed by name and updated in place. A refresh
 * that changes nothing touches no DOM; a changed container updates only its own row.
 */
import { sameValue } from '../equal';
import { kernelOf } from '../containerKernel';
import type { Container, ContainerAction } from '../generated/rest';
import { element, setProperty, setText } from './dom';

/** A button of a container row. */
export type RowAction = ContainerAction | 'remove' | 'logs' | 'terminal';

/** When a row button can be used: while the container runs, while it does not, or always. */
type When = 'running' | 'stopped' | 'always';

const BUTTONS: readonly { action: RowAction; label: string; when: When }[] = [
  { action: 'start', label: 'Start', when: 'stopped' },
  { action: 'stop', label: 'Stop', when: 'running' },
  { action: 'restart', label: 'Restart', when: 'running' },
  { action: 'remove', label: 'Remove', when: 'stopped' },
  { action: 'logs', label: 'Logs', when: 'always' },
  { action: 'terminal', label: 'Terminal', when: 'running' }
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
  kernel: HTMLDivElement;
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
      kernel: element('div', 'lc-Detail lc-KernelOf'),
      buttons: new Map(),
      container,
      busy: false
    };
    info.append(row.name, row.badge, row.image, row.detail, row.kernel);
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
    // On a line of its own: the notebook's name must not be the part cut off by the ellipsis.
    setText(row.kernel, kernelWords(container));
    setProperty(row.kernel, 'hidden', container.purpose !== 'kernel');
    const running = container.state === 'running';
    for (const { action, label, when } of BUTTONS) {
      const button = row.buttons.get(action);
      if (!button) {
        continue;
      }
      const possible = when === 'always' || (when === 'running') === running;
      // Reading the log or typing in a terminal never gets in the way of an action, so Logs
      // and Terminal stay usable while busy.
      const passive = action === 'logs' || action === 'terminal';
      setProperty(button, 'disabled', (row.busy && !passive) || !possible);
      setProperty(button, 'title',
        !possible
          ? `${label} is not possible while the container is ${container.state}`
          : action === 'logs'
            ? `Show the log of ${container.name}`
            : action === 'terminal'
              ? `Open a terminal (a new shell) in ${container.name}`
              : `${label} ${container.name}`
      );
    }
  }

  private readonly _rows = new Map<string, IRow>();
  private readonly _empty: HTMLParagraphElement;
}

/** The row's second detail line: status words and GPUs. */
function describe(container: Container): string {
  const gpus = container.gpus.map(gpu => gpu.split('=').pop()).join(',');
  return `${container.status}${gpus ? ` · GPU ${gpus}` : ''}`;
}

function notebookName(container: Container): string | null {
  const path = kernelOf(container)?.notebook;
  return path ? (path.split('/').pop() ?? path) : null;
}

function kernelWords(container: Container): string {
  if (container.purpose !== 'kernel') {
    return '';
  }
  const notebook = notebookName(container);
  return notebook ? `kernel of ${notebook}` : 'container kernel';
}

/** What to ask before an action on a container kernel's container (null: nothing to ask). */
export interface IQuestion {
  title: string;
  text: string;
  label: string;
}

/**
 * Stop and Restart of a kernel's container restart that kernel (through Jupyter when this
 * server runs it): the notebook keeps its kernel but loses its variables, so ask first.
 */
export function kernelQuestion(container: Container | undefined, action: RowAction): IQuestion | null {
  if (!container || container.purpose !== 'kernel' || (action !== 'stop' && action !== 'restart')) {
    return null;
  }
  const notebook = notebookName(container);
  const whose = notebook ? `the kernel of ${notebook}` : 'a container kernel';
  const verb = action === 'stop' ? 'Stop' : 'Restart';
  return {
    title: `${verb} ${whose}?`,
    text:
      `${container.name} runs ${whose}. ${verb} restarts that kernel in a fresh container: ` +
      'the notebook stays connected, but its variables are lost. To end the kernel, shut it down from the notebook ' +
      'or the Running panel instead.',
    label: verb
  };
}
