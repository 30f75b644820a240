/**
 * Pulls the server is making: a container kernel whose image is missing pulls it before its
 * container exists, and the notebook then only says "starting". The side panel shows one row
 * per pull, "pulling IMAGE for kernel K: 45 %", from GET pulls.
 *
 * GET pulls is asked every second only while a pull is in flight or a kernel is starting
 * (and once when the panel is shown): nothing is polled otherwise.
 */
import { type ISignal, Signal } from '@lumino/signaling';

import { listPulls } from '../client';
import type { Pull } from '../generated/rest';
import { element, setProperty, setText } from './dom';

/** The row's words: "pulling IMAGE for kernel 1a2b3c4d: 45 % (15.1 MB of 33.6 MB)". */
export function pullLine(pull: Pull): string {
  const who = pull.kernel_id ? ` for kernel ${pull.kernel_id.slice(0, 8)}` : '';
  const percent = pull.fraction === null ? '' : `: ${Math.floor(pull.fraction * 100)} %`;
  const bytes = pull.total ? ` (${megabytes(pull.downloaded)} of ${megabytes(pull.total)})` : '';
  return `pulling ${pull.image}${who}${percent}${bytes}`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** One row per pull, keyed by image and kernel; rows are updated in place. */
export class PullsView {
  constructor(readonly host: HTMLElement) {
    host.hidden = true;
  }

  update(pulls: Pull[]): void {
    const keep = new Set<string>();
    for (const pull of pulls) {
      const key = `${pull.image} ${pull.kernel_id ?? ''}`;
      keep.add(key);
      let row = this._rows.get(key);
      if (!row) {
        row = element('div', 'lc-Pull');
        row.dataset.image = pull.image;
        row.dataset.kernel = pull.kernel_id ?? '';
        row.append(element('span', 'lc-PullText'), element('progress', 'lc-PullBar'));
        this._rows.set(key, row);
        this.host.appendChild(row);
      }
      setText(row.firstChild!, pullLine(pull));
      const bar = row.lastChild as HTMLProgressElement;
      if (pull.fraction === null) {
        bar.removeAttribute('value'); // indeterminate until Podman reports bytes
      } else {
        setProperty(bar, 'value', pull.fraction);
      }
      row.title = pull.message;
    }
    for (const [key, row] of this._rows) {
      if (!keep.has(key)) {
        row.remove();
        this._rows.delete(key);
      }
    }
    setProperty(this.host, 'hidden', pulls.length === 0);
  }

  private readonly _rows = new Map<string, HTMLElement>();
}

export namespace PullsWatcher {
  export interface IOptions {
    /** GET pulls. */
    fetch: () => Promise<Pull[]>;
    /** Each answer that differs from the last one. */
    onChange: (pulls: Pull[]) => void;
    /** Milliseconds between two looks while something is pulling or starting; 1000 by default. */
    interval?: number;
  }
}

/** Asks GET pulls every second while a pull is in flight or a kernel is starting. */
export class PullsWatcher {
  constructor(private readonly _options: PullsWatcher.IOptions) {}

  /** Look once now (the panel was shown); polling goes on only if a pull is in flight. */
  check(): void {
    if (this._timer === undefined && !this._looking) {
      void this._look();
    }
  }

  /** A kernel starts (`on`) or has started (`!on`): keep looking while any is starting. */
  starting(kernel: object, on: boolean): void {
    if (on) {
      this._starting.add(kernel);
      this.check();
    } else {
      this._starting.delete(kernel);
    }
  }

  /** Each answer that differs from the last one, for listeners besides the panel's rows. */
  get changed(): ISignal<this, Pull[]> {
    return this._changed;
  }

  /** Whether the watcher is polling now (a look is scheduled or under way). */
  get active(): boolean {
    return this._timer !== undefined || this._looking;
  }

  dispose(): void {
    this._disposed = true;
    clearTimeout(this._timer);
    this._timer = undefined;
  }

  private async _look(): Promise<void> {
    this._timer = undefined;
    this._looking = true;
    let pulls: Pull[] = this._last;
    try {
      pulls = await this._options.fetch();
    } catch {
      pulls = []; // the server is away: nothing to show; a starting kernel keeps us looking
    } finally {
      this._looking = false;
    }
    if (this._disposed) {
      return;
    }
    if (JSON.stringify(pulls) !== JSON.stringify(this._last)) {
      this._last = pulls;
      this._options.onChange(pulls);
      this._changed.emit(pulls);
    }
    if (pulls.length > 0 || this._starting.size > 0) {
      this._timer = setTimeout(() => void this._look(), this._options.interval ?? 1000);
    }
  }

  private readonly _changed = new Signal<this, Pull[]>(this);
  private _last: Pull[] = [];
  private _looking = false;
  private _disposed = false;
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private readonly _starting = new Set<object>();
}

/** The part of a notebook's or console's session context used here (duck-typed). */
interface ISessionContextLike {
  readonly statusChanged: ISignal<unknown, string>;
  readonly kernelDisplayStatus?: string;
  readonly disposed?: ISignal<unknown, unknown>;
}

/** The part of JupyterLab's shell used here. */
export interface IShellLike {
  readonly currentChanged?: ISignal<unknown, { newValue: unknown }>;
}

const STARTING = new Set(['starting', 'restarting', 'initializing', 'autorestarting']);

/**
 * Tell the watcher when a notebook's or console's kernel starts and when it is up: its
 * session context says "starting" before it asks the server, whose answer waits for the pull.
 */
export function watchKernelStarts(shell: IShellLike, watcher: PullsWatcher): () => void {
  const seen = new WeakSet<object>();
  const follow = (context: ISessionContextLike): void => {
    if (seen.has(context)) {
      return;
    }
    seen.add(context);
    context.statusChanged.connect((_, status) => watcher.starting(context, STARTING.has(status)));
    context.disposed?.connect(() => watcher.starting(context, false)); // a notebook closed mid-start
    if (STARTING.has(context.kernelDisplayStatus ?? '')) {
      watcher.starting(context, true);
    }
  };
  const onCurrent = (_: unknown, args: { newValue: unknown }): void => {
    const context = (args.newValue as { sessionContext?: ISessionContextLike } | null)?.sessionContext;
    if (context?.statusChanged) {
      follow(context);
    }
  };
  shell.currentChanged?.connect(onCurrent);
  return () => shell.currentChanged?.disconnect(onCurrent);
}

/** The panel's pulls section, placed after `anchor`, polling GET pulls as described above. */
export function attachPulls(anchor: HTMLElement, fetch: () => Promise<Pull[]> = listPulls): PullsWatcher {
  const host = element('div', 'lc-Pulls');
  host.setAttribute('role', 'status');
  anchor.after(host);
  const view = new PullsView(host);
  return new PullsWatcher({ fetch, onChange: pulls => view.update(pulls) });
}
