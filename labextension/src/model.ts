/**
 * The side panel's data, without any DOM, one signal per section, emitted only when that
 * section's data really changed. A section is reloaded through the REST client when the
 * server's events socket says it changed (notices.ts: only the sections a notice concerns,
 * bursts coalesced); while that socket is open the poll is only a slow heartbeat (60 s)
 * reloading everything, while it is closed the poll runs every 5 s as before. The pulls
 * section (pulls.ts) polls GET pulls on its own rhythm, only while a pull runs.
 */
import { type IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import type * as Client from './client';
import { sameValue } from './equal';
import { ApiError, toApiError } from './errors';
import { EventsSocket, type IEventsSource } from './events';
import type {
  Container,
  ContainerAction,
  GpuView,
  Image,
  ImageRemoved,
  Kernelspec,
  KernelspecAnswer,
  KernelspecCreate,
  Pull,
  Scope,
  Status
} from './generated/rest';
import { ALL_SECTIONS, type Loaded, LOADERS, NoticeFollower } from './notices';
import { PullsSection } from './pulls';

/** The client functions the model uses (src/client/, or a fake in tests). */
export type IContainersClient = Pick<
  typeof Client,
  | 'listContainers'
  | 'containerAction'
  | 'removeContainer'
  | 'getGpus'
  | 'listImages'
  | 'pullImage'
  | 'listPulls'
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
    /** Milliseconds between two looks at GET pulls while one runs; 1000 by default. */
    pullInterval?: number;
    /** When the poll rests; 'when-hidden' (the browser tab is hidden) by default. */
    standby?: Poll.Standby | (() => boolean | Poll.Standby);
    /** Start polling at once (default true); tests call refresh() themselves. */
    autoStart?: boolean;
    /** The sections this model loads (default: all). Another server's section of the panel
     * leaves out the kernelspecs, which are this machine's. */
    sections?: readonly Loaded[];
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
    this._sections = options.sections ?? ALL_SECTIONS;
    const autoStart = options.autoStart ?? true;
    this._poll = new Poll({
      factory: state => this._load(this._dueSections(state)),
      frequency: this._frequency(this._interval),
      standby: options.standby ?? 'when-hidden',
      name: 'labcontainer:refresh',
      auto: autoStart
    });
    this.pulls = new PullsSection({
      client: this._client,
      interval: options.pullInterval,
      onPulled: () => void this._load(new Set<Loaded>(['images']))
    });
    const events = options.events === undefined ? (autoStart ? new EventsSocket() : null) : options.events;
    this._notices = events
      ? new NoticeFollower({
          events,
          coalesce: options.coalesce ?? 100,
          reload: sections => this._reload(sections),
          pushed: pushed => this._setPushed(pushed)
        })
      : null;
  }

  /** The pulls the server is making; polled only while one runs (see pulls.ts). */
  readonly pulls: PullsSection;

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
    this._notices?.dispose();
    this.pulls.dispose();
    this._poll.dispose();
    Signal.clearData(this);
  }

  /** Reload every section now. Never rejects: a failure is kept in `error`. */
  refresh(): Promise<void> {
    return this._load(new Set(this._sections));
  }

  /** Start, stop or restart a container; rejects with ApiError, refreshes either way. */
  containerAction(name: string, action: ContainerAction): Promise<Container> {
    return this._thenRefresh(async () => {
      const container = await this._client.containerAction(name, action);
      this._replaceContainer(container);
      return container;
    });
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
  remove(name: string, force = false): Promise<void> {
    return this._thenRefresh(() => this._client.removeContainer(name, force));
  }

  /** Start pulling an image on the server (it answers at once); `pulls` follows it. Rejects with ApiError. */
  pullImage(image: string): Promise<Pull> {
    return this.pulls.pull(image);
  }

  /** Remove an image name; rejects with ApiError (409 ImageInUse names the containers), refreshes either way. */
  removeImage(name: string, force = false): Promise<ImageRemoved | null> {
    return this._thenRefresh(() => this._client.removeImage(name, force));
  }

  /** Add a container kernel to the launcher; rejects with ApiError (see client.createKernelspec). */
  createKernelspec(body: KernelspecCreate): Promise<KernelspecAnswer> {
    return this._thenRefresh(async () => {
      const answer = await this._client.createKernelspec(body);
      await this._refreshLauncher();
      return answer;
    });
  }

  /** Remove a container kernel from the launcher; rejects with ApiError. */
  removeKernelspec(name: string): Promise<void> {
    return this._thenRefresh(async () => {
      await this._client.removeKernelspec(name);
      await this._refreshLauncher();
    });
  }

  /** Run an action, then refresh whether it succeeded or not. */
  private async _thenRefresh<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
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

  /** Notices asked for these sections: reload them through the poll, which respects
   * standby (a hidden tab) and restarts the heartbeat. */
  private _reload(sections: ReadonlySet<Loaded>): void {
    if (this.isDisposed) {
      return;
    }
    for (const section of sections) {
      this._asked.add(section);
    }
    void this._poll.refresh();
  }

  /** What a poll tick reloads: what notices asked for on a refresh tick, else everything. */
  private _dueSections(state: IPoll.State<void, unknown, 'standby'>): ReadonlySet<Loaded> {
    const asked = this._asked;
    this._asked = new Set();
    const due = state.phase === 'refreshed' && asked.size > 0 ? [...asked] : ALL_SECTIONS;
    return new Set(due.filter(section => this._sections.includes(section)));
  }

  /**
   * Reload these sections; never rejects: a failure is kept in `error`. When reloads
   * overlap, a section's answer is applied unless a newer reload's answer for that section
   * already was: never an older state over a newer one, and a steady stream of notices
   * (others' containers changing every moment) cannot starve the panel by superseding
   * each reload before it ends.
   */
  private async _load(sections: ReadonlySet<Loaded>): Promise<void> {
    const ticket = ++this._ticket;
    const current = (section: Section): boolean => {
      if (ticket < (this._applied.get(section) ?? 0) || this.isDisposed) {
        return false;
      }
      this._applied.set(section, ticket);
      return true;
    };
    try {
      if (sections.has('status')) {
        const status = await this._client.getStatus();
        if (!current('status')) {
          return;
        }
        this._update('status', status);
        if (!status.connected) {
          if (current('containers')) {
            this._update('containers', []);
          }
          if (current('error')) {
            this._update('error', null);
          }
          return;
        }
      }
      const loads = LOADERS.filter(([section]) => sections.has(section));
      const values = await Promise.all(loads.map(([, load]) => load(this._client, this._scope)));
      loads.forEach(([section], index) => {
        if (current(section)) {
          this._update(section, values[index] as never);
        }
      });
      if (current('error')) {
        this._update('error', null);
      }
    } catch (error) {
      if (current('error')) {
        this._update('error', toApiError(error));
      }
    }
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
  private readonly _notices: NoticeFollower | null;
  private readonly _interval: number;
  private readonly _heartbeat: number;
  private readonly _sections: readonly Loaded[];
  /** Sections notices asked for, not reloaded yet. */
  private _asked = new Set<Loaded>();
  private _scope: Scope = 'mine';
  private _ticket = 0;
  /** Per section, the newest reload whose answer was applied (see _load). */
  private readonly _applied = new Map<Section, number>();
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
