/**
 * The side panel's data, without any DOM, one signal per section, emitted only when that
 * section's data really changed. Refreshed through the REST client when the server's events
 * socket says something changed (bursts coalesced); while that socket is open the poll is only
 * a slow heartbeat (60 s), while it is closed the poll runs every 5 s as before.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import type * as Client from './client';
import type { ContainerAction, Scope } from './client';
import { sameValue } from './equal';
import { ApiError, toApiError } from './errors';
import { EventsSocket, type IEventsSource } from './events';
import type {
  Container,
  GpuView,
  Image,
  Kernelspec,
  KernelspecAnswer,
  KernelspecCreate,
  EventsMessage,
  Pull,
  Status
} from './generated/rest';

/** The client functions the model uses (src/client.ts, or a fake in tests). */
export type IContainersClient = Pick<
  typeof Client,
  | 'listContainers'
  | 'containerAction'
  | 'removeContainer'
  | 'getGpus'
  | 'listImages'
  | 'pullImage'
  | 'removeImage'
  | 'listKernelspecs'
  | 'createKernelspec'
  | 'removeKernelspec'
  | 'getStatus'
>;

/** What the model holds, section by section. */
export interface ISnapshot {
  status: Status | null;
  containers: readonly Container[];
  gpus: GpuView | null;
  images: readonly Image[];
  kernelspecs: readonly Kernelspec[];
  /** The last refresh's failure; null once a refresh succeeds. */
  error: ApiError | null;
}

type Section = keyof ISnapshot;
type Signals = { [K in Section]: Signal<ContainersModel, ISnapshot[K]> };

export namespace ContainersModel {
  export interface IOptions {
    client: IContainersClient;
    /** Refresh the launcher's kernel list after a kernelspec was added or removed. */
    refreshLauncher?: () => Promise<void>;
    /** Milliseconds between refreshes without pushed notices; 5000 by default. */
    interval?: number;
    /** Milliseconds between refreshes while notices are pushed (a heartbeat); 60000 by default. */
    heartbeat?: number;
    /** Change notices from the server; by default the events websocket when autoStart is on,
     * none otherwise (null: none, poll only). */
    events?: IEventsSource | null;
    /** Milliseconds to gather a burst of notices into one refresh; 100 by default. */
    coalesce?: number;
    /** When the poll rests; 'when-hidden' (the browser tab is hidden) by default. */
    standby?: Poll.Standby | (() => boolean | Poll.Standby);
    /** Start polling at once (default true); tests call refresh() themselves. */
    autoStart?: boolean;
  }
}

export class ContainersModel {
  constructor(options: ContainersModel.IOptions) {
    this._client = options.client;
    this._refreshLauncher = options.refreshLauncher ?? (() => Promise.resolve());
    this._signals = {
      status: new Signal(this),
      containers: new Signal(this),
      gpus: new Signal(this),
      images: new Signal(this),
      kernelspecs: new Signal(this),
      error: new Signal(this)
    };
    this._interval = options.interval ?? 5000;
    this._heartbeat = options.heartbeat ?? 60000;
    this._coalesce = options.coalesce ?? 100;
    const autoStart = options.autoStart ?? true;
    this._poll = new Poll({
      factory: () => this.refresh(),
      frequency: this._frequency(this._interval),
      standby: options.standby ?? 'when-hidden',
      name: 'labcontainer:refresh',
      auto: autoStart
    });
    const events = options.events === undefined ? (autoStart ? new EventsSocket() : null) : options.events;
    this._events = events;
    if (events) {
      events.openChanged.connect((source, open) => this._onOpenChanged(source, open));
      events.received.connect((source, message) => this._onNotice(source, message));
      if (events.isOpen) {
        this._onOpenChanged(events, true);
      }
    }
  }

  /** Milliseconds between two polls now: the heartbeat while notices are pushed, else 5 s. */
  get pollInterval(): number {
    return this._poll.frequency.interval;
  }

  get statusChanged(): ISignal<ContainersModel, Status | null> {
    return this._signals.status;
  }
  get containersChanged(): ISignal<ContainersModel, readonly Container[]> {
    return this._signals.containers;
  }
  get gpusChanged(): ISignal<ContainersModel, GpuView | null> {
    return this._signals.gpus;
  }
  get imagesChanged(): ISignal<ContainersModel, readonly Image[]> {
    return this._signals.images;
  }
  get kernelspecsChanged(): ISignal<ContainersModel, readonly Kernelspec[]> {
    return this._signals.kernelspecs;
  }
  get errorChanged(): ISignal<ContainersModel, ApiError | null> {
    return this._signals.error;
  }

  get status(): Status | null {
    return this._data.status;
  }
  get containers(): readonly Container[] {
    return this._data.containers;
  }
  get gpus(): GpuView | null {
    return this._data.gpus;
  }
  get images(): readonly Image[] {
    return this._data.images;
  }
  get kernelspecs(): readonly Kernelspec[] {
    return this._data.kernelspecs;
  }
  get error(): ApiError | null {
    return this._data.error;
  }

  /** The container whose name this is, if the last refresh listed it. */
  container(name: string): Container | undefined {
    return this._data.containers.find(container => container.name === name);
  }

  /** 'mine' (all of the user's containers) or 'labcontainer' (the ones it started). */
  get scope(): Scope {
    return this._scope;
  }
  set scope(scope: Scope) {
    if (scope !== this._scope) {
      this._scope = scope;
      void this.refresh();
    }
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    clearTimeout(this._noticeTimer);
    this._events?.dispose();
    this._poll.dispose();
    Signal.clearData(this);
  }

  /**
   * Reload every section now. Never rejects: a failure is kept in `error`. When refreshes
   * overlap, an answer is applied unless a newer refresh's answer already was: never an
   * older state over a newer one, and a steady stream of notices (others' containers
   * changing every moment) cannot starve the panel by superseding each refresh before it ends.
   */
  async refresh(): Promise<void> {
    const ticket = ++this._ticket;
    const current = () => {
      if (ticket < this._applied || this.isDisposed) {
        return false;
      }
      this._applied = ticket;
      return true;
    };
    try {
      const status = await this._client.getStatus();
      if (!current()) {
        return;
      }
      this._update('status', status);
      if (!status.connected) {
        this._update('containers', []);
        this._update('error', null);
        return;
      }
      const [containers, gpus, images, kernelspecs] = await Promise.all([
        this._client.listContainers(this._scope),
        this._client.getGpus(),
        this._client.listImages(),
        this._client.listKernelspecs()
      ]);
      if (!current()) {
        return;
      }
      this._update('containers', containers);
      this._update('gpus', gpus);
      this._update('images', images);
      this._update('kernelspecs', kernelspecs);
      this._update('error', null);
    } catch (error) {
      if (current()) {
        this._update('error', toApiError(error));
      }
    }
  }

  /** Start, stop or restart a container; rejects with ApiError, refreshes either way. */
  async containerAction(name: string, action: ContainerAction): Promise<Container> {
    try {
      const container = await this._client.containerAction(name, action);
      this._replaceContainer(container);
      return container;
    } finally {
      await this.refresh();
    }
  }

  start(name: string): Promise<Container> {
    return this.containerAction(name, 'start');
  }

  stop(name: string): Promise<Container> {
    return this.containerAction(name, 'stop');
  }

  restart(name: string): Promise<Container> {
    return this.containerAction(name, 'restart');
  }

  /** Remove a container; rejects with ApiError, refreshes either way. */
  async remove(name: string, force = false): Promise<void> {
    try {
      await this._client.removeContainer(name, force);
    } finally {
      await this.refresh();
    }
  }

  /** Start pulling an image on the server (it answers at once; GET pulls follows it). Rejects with ApiError. */
  pullImage(image: string): Promise<Pull> {
    return this._client.pullImage(image);
  }

  /** Remove an image name; rejects with ApiError (409 ImageInUse names the containers), refreshes either way. */
  async removeImage(name: string, force = false): Promise<void> {
    try {
      await this._client.removeImage(name, force);
    } finally {
      await this.refresh();
    }
  }

  /** Add a container kernel to the launcher; rejects with ApiError (see client.createKernelspec). */
  async createKernelspec(body: KernelspecCreate): Promise<KernelspecAnswer> {
    try {
      const answer = await this._client.createKernelspec(body);
      await this._refreshLauncher();
      return answer;
    } finally {
      await this.refresh();
    }
  }

  /** Remove a container kernel from the launcher; rejects with ApiError. */
  async removeKernelspec(name: string): Promise<void> {
    try {
      await this._client.removeKernelspec(name);
      await this._refreshLauncher();
    } finally {
      await this.refresh();
    }
  }

  private _frequency(interval: number): { interval: number; backoff: boolean; max: number } {
    return { interval, backoff: true, max: Math.max(60000, interval) };
  }

  /** Pushed notices or not: a slow heartbeat while they come, the 5 s poll otherwise. */
  private _setPushed(pushed: boolean): void {
    const interval = pushed ? this._heartbeat : this._interval;
    if (interval !== this._poll.frequency.interval) {
      this._poll.frequency = this._frequency(interval);
    }
  }

  private _onOpenChanged(_source: IEventsSource, open: boolean): void {
    this._podmanFollowed = true;
    this._setPushed(open);
    // Opened: changes made while it was closed were not announced. Closed: the pending
    // heartbeat may be a minute away, and the 5 s rhythm starts from a fresh look now.
    this._scheduleRefresh();
  }

  private _onNotice(_source: IEventsSource, message: EventsMessage): void {
    switch (message.kind) {
      case 'hello':
        this._podmanFollowed = message.connected !== false;
        break;
      case 'podman':
        this._podmanFollowed = message.connected;
        this._scheduleRefresh(); // lost: show it; regained: changes meanwhile were not announced
        break;
      // A container row, the kernel form's image list, or a kernel row's "ours"/notebook
      // changed: one refresh reloads them all (and a burst of notices is one refresh).
      case 'containers':
      case 'images':
      case 'kernels':
        this._scheduleRefresh();
        break;
      default:
        return; // a kind this version does not know (a newer server): the heartbeat still runs
    }
    // While the server cannot follow Podman, nothing is pushed: poll as without a socket.
    this._setPushed(this._events?.isOpen === true && this._podmanFollowed);
  }

  /** One refresh for a burst of notices (a `podman stop` alone sends several). */
  private _scheduleRefresh(): void {
    if (this._noticeTimer !== undefined || this.isDisposed) {
      return;
    }
    this._noticeTimer = setTimeout(() => {
      this._noticeTimer = undefined;
      if (!this.isDisposed) {
        // Through the poll: it respects standby (hidden tab) and restarts the heartbeat.
        void this._poll.refresh();
      }
    }, this._coalesce);
  }

  /** Show an action's answer at once, before the refresh that follows it. */
  private _replaceContainer(container: Container): void {
    const containers = this._data.containers;
    const index = containers.findIndex(item => item.name === container.name);
    if (index >= 0) {
      this._update('containers', containers.map((item, i) => (i === index ? container : item)));
    }
  }

  private _update<K extends Section>(section: K, value: ISnapshot[K]): void {
    if (sameValue(comparable(this._data[section]), comparable(value))) {
      return;
    }
    this._data[section] = value;
    this._signals[section].emit(value);
  }

  private readonly _client: IContainersClient;
  private readonly _refreshLauncher: () => Promise<void>;
  private readonly _signals: Signals;
  private readonly _poll: Poll;
  private readonly _events: IEventsSource | null;
  private readonly _interval: number;
  private readonly _heartbeat: number;
  private readonly _coalesce: number;
  private _noticeTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _podmanFollowed = true;
  private _scope: Scope = 'mine';
  private _ticket = 0;
  /** The newest refresh whose answer was applied (see refresh). */
  private _applied = 0;
  private readonly _data: ISnapshot = {
    status: null,
    containers: [],
    gpus: null,
    images: [],
    kernelspecs: [],
    error: null
  };
}

/** Errors compare by what the user sees; everything else by JSON value. */
function comparable(value: unknown): unknown {
  return value instanceof ApiError ? { kind: value.kind, message: value.message, status: value.status } : value;
}
