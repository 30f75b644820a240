/**
 * From the server's change notices (events.ts) to the model sections they concern: a burst
 * of notices (a `podman stop` alone sends several) becomes one reload of the union of the
 * sections they name, and an image tag reloads the images only, not the GPUs (which costs
 * the server two `podman ps`, an NVML read and a kernelspec scan).
 */
import type * as Client from './client';
import type { IEventsSource } from './events';
import type { EventsMessage } from './generated/rest';

/** The sections the model loads from the server. */
export type Loaded = 'status' | 'containers' | 'gpus' | 'images' | 'kernelspecs';

export const ALL_SECTIONS: readonly Loaded[] = ['status', 'containers', 'gpus', 'images', 'kernelspecs'];

type SectionsClient = Pick<typeof Client, 'listContainers' | 'getGpus' | 'listImages' | 'listKernelspecs'>;

/** How each section other than status is loaded (status comes first: it gates the rest). */
export const LOADERS: [Exclude<Loaded, 'status'>, (client: SectionsClient, scope: Client.Scope) => Promise<unknown>][] = [
  ['containers', (client, scope) => client.listContainers(scope)],
  ['gpus', client => client.getGpus()],
  ['images', client => client.listImages()],
  ['kernelspecs', client => client.listKernelspecs()]
];

/** The sections a notice concerns; null for a kind this version does not act on. */
export function sectionsOf(message: EventsMessage): readonly Loaded[] | null {
  switch (message.kind) {
    case 'containers':
      return ['containers', 'gpus']; // a row, and which containers use each GPU
    case 'images':
      return ['images']; // the Images section and the kernel form's image list
    case 'kernels':
      return ['containers']; // a kernel row's `kernel` field (ours, notebook) may have changed
    case 'podman':
      return ALL_SECTIONS; // lost: show it; regained: changes meanwhile were not announced
    default:
      return null; // hello, or a kind a newer server sends: the heartbeat still runs
  }
}

export namespace NoticeFollower {
  export interface IOptions {
    events: IEventsSource;
    /** Milliseconds to gather a burst of notices into one reload. */
    coalesce: number;
    /** Reload these sections (once per burst). */
    reload: (sections: ReadonlySet<Loaded>) => void;
    /** Whether changes are pushed now (the socket is open and the server follows Podman). */
    pushed: (pushed: boolean) => void;
  }
}

/** Listens to an events source for the model; owns it (disposes it). */
export class NoticeFollower {
  constructor(private readonly _options: NoticeFollower.IOptions) {
    const events = _options.events;
    events.openChanged.connect((_, open) => this._onOpenChanged(open), this);
    events.received.connect((_, message) => this._onNotice(message), this);
    if (events.isOpen) {
      this._onOpenChanged(true);
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    clearTimeout(this._timer);
    this._options.events.dispose();
  }

  private _onOpenChanged(open: boolean): void {
    this._podmanFollowed = true;
    this._options.pushed(open);
    // Opened: changes made while it was closed were not announced. Closed: the pending
    // heartbeat may be a minute away, and the 5 s rhythm starts from a fresh look now.
    this._schedule(ALL_SECTIONS);
  }

  private _onNotice(message: EventsMessage): void {
    if (message.kind === 'hello') {
      this._podmanFollowed = message.connected !== false;
    } else {
      const sections = sectionsOf(message);
      if (sections === null) {
        return;
      }
      if (message.kind === 'podman') {
        this._podmanFollowed = message.connected;
      }
      this._schedule(sections);
    }
    // While the server cannot follow Podman, nothing is pushed: poll as without a socket.
    this._options.pushed(this._options.events.isOpen && this._podmanFollowed);
  }

  private _schedule(sections: readonly Loaded[]): void {
    for (const section of sections) {
      this._sections.add(section);
    }
    if (this._timer !== undefined || this._disposed) {
      return;
    }
    this._timer = setTimeout(() => {
      this._timer = undefined;
      const due = this._sections;
      this._sections = new Set();
      if (!this._disposed) {
        this._options.reload(due);
      }
    }, this._options.coalesce);
  }

  private _disposed = false;
  private _podmanFollowed = true;
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _sections = new Set<Loaded>();
}
