/**
 * The server's change notices (websocket `labcontainer/api/events`, messages: EventsMessage in
 * rest_schema.json): one socket per side panel, reopened with a backoff when it closes (the
 * server restarted, the network dropped). The model refreshes on a notice instead of polling.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import type { EventsMessage } from './generated/rest';

/** What the model needs from a source of change notices (a fake in tests). */
export interface IEventsSource {
  /** Whether the socket is open now. */
  readonly isOpen: boolean;
  /** Emitted with true when the socket opens, false when it closes. */
  readonly openChanged: ISignal<IEventsSource, boolean>;
  /** Every message the server sends. */
  readonly received: ISignal<IEventsSource, EventsMessage>;
  dispose(): void;
}

export namespace EventsSocket {
  export interface IOptions {
    /** The server connection (default: ServerConnection.makeSettings()). */
    settings?: ServerConnection.ISettings;
    /** First delay before reopening a closed socket, in ms (doubles up to maxDelay). */
    minDelay?: number;
    maxDelay?: number;
    /** Another server's notices (?connection=NAME, over its SSH link); absent: the default server's. */
    connection?: string;
  }
}

/** The events websocket, reopened with a backoff (1 s, 2 s, ... 30 s) while it is closed. */
export class EventsSocket implements IEventsSource {
  constructor(options: EventsSocket.IOptions = {}) {
    this._settings = options.settings ?? ServerConnection.makeSettings();
    this._connection = options.connection;
    this._minDelay = options.minDelay ?? 1000;
    this._maxDelay = options.maxDelay ?? 30000;
    this._delay = this._minDelay;
    this._open();
  }

  get isOpen(): boolean {
    return this._isOpen;
  }
  get openChanged(): ISignal<this, boolean> {
    return this._openChanged;
  }
  get received(): ISignal<this, EventsMessage> {
    return this._received;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    clearTimeout(this._timer);
    if (this._socket) {
      this._socket.onclose = null;
      this._socket.close();
      this._socket = null;
    }
    Signal.clearData(this);
  }

  private _open(): void {
    const settings = this._settings;
    const params: Record<string, string> = this._connection ? { connection: this._connection } : {};
    // As JupyterLab's own kernel and terminal sockets: the token in the URL when the page
    // was opened with one (a browser cannot set headers on a websocket).
    if (settings.appendToken && settings.token !== '') {
      params.token = settings.token;
    }
    const query = Object.keys(params).length > 0 ? URLExt.objectToQueryString(params) : '';
    const url = URLExt.join(settings.wsUrl, 'labcontainer', 'api', 'events') + query;
    const socket = new settings.WebSocket(url);
    this._socket = socket;
    socket.onopen = () => {
      this._delay = this._minDelay;
      this._setOpen(true);
    };
    socket.onmessage = (event: MessageEvent) => {
      let message: unknown;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return; // not ours to understand: the model still has its heartbeat
      }
      // Only objects that say their kind reach the model; which kinds it acts on is its choice.
      if (typeof message === 'object' && message !== null && typeof (message as { kind?: unknown }).kind === 'string') {
        this._received.emit(message as EventsMessage);
      }
    };
    socket.onclose = () => {
      this._socket = null;
      this._setOpen(false);
      if (!this._disposed) {
        this._timer = setTimeout(() => this._open(), this._delay);
        this._delay = Math.min(this._delay * 2, this._maxDelay);
      }
    };
  }

  private _setOpen(open: boolean): void {
    if (open !== this._isOpen) {
      this._isOpen = open;
      this._openChanged.emit(open);
    }
  }

  private readonly _settings: ServerConnection.ISettings;
  private readonly _connection: string | undefined;
  private readonly _minDelay: number;
  private readonly _maxDelay: number;
  private _delay: number;
  private _socket: WebSocket | null = null;
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _isOpen = false;
  private _disposed = false;
  private readonly _openChanged = new Signal<this, boolean>(this);
  private readonly _received = new Signal<this, EventsMessage>(this);
}
