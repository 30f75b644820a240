/**
 * A terminal into a container for JupyterLab's own Terminal widget: a
 * `Terminal.ITerminalConnection` backed by labcontainer's terminal websocket, which speaks
 * terminado's JSON messages like Jupyter's terminals (docs/rest-api.md, Terminal).
 *
 * The server keeps each terminal under a session id (sent in `setup`) for a while after its
 * socket closes, so a page reload reconnects to the same shell (`session` option) and gets
 * what it missed. Closing the tab (shutdown/dispose) says `close`: the process ends at once.
 * When the process ends this connection is not disposed (that would close the tab); it
 * writes how the process ended and stays, readable, in the 'disconnected' state.
 */
import { ServerConnection, Terminal } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { ITerminalQuery, terminalUrl } from './client';

/** WebSocket.OPEN, without needing the global (a test's or another page's WebSocket class). */
const OPEN = 1;

export namespace ContainerTerminalConnection {
  export interface IOptions {
    /** The container's name. */
    container: string;
    /** exec (default) or attach, and exec's command, user and working directory. */
    query?: ITerminalQuery;
    /** Whose websocket URL, token and WebSocket class to use (default: this page's). */
    serverSettings?: ServerConnection.ISettings;
    /** Reconnect to this kept terminal (a restored tab) instead of starting a new one. */
    session?: string;
    /** How the container is named to the user (a kernel's: "kernel of train.ipynb"); default its name. */
    shown?: string;
  }
}

/** What the user sees in the terminal when the process ended with this exit code. */
export function exitLine(code: number): string {
  return `\r\n[process exited with code ${code}]\r\n`;
}

/** What the user sees when the socket closed without the server saying the process ended. */
export const LOST_LINE =
  '\r\n[the connection to the Jupyter server was lost. Press Enter to reconnect to this shell (kept for a minute), or close this tab.]\r\n';

/** What the user sees when nothing can run in this tab any more (its kernel was shut down). */
export const OVER_LINE = '\r\n[Nothing more can run in this tab: close it.]\r\n';

/** What the user sees when the server no longer keeps this tab's terminal. */
export function goneLine(container: string): string {
  return `\r\n[Press Enter for a new shell in ${container}.]\r\n`;
}

export class ContainerTerminalConnection implements Terminal.ITerminalConnection {
  constructor(options: ContainerTerminalConnection.IOptions) {
    this.container = options.container;
    this.query = options.query ?? {};
    this.serverSettings = options.serverSettings ?? ServerConnection.makeSettings();
    this._session = options.session ?? null;
    this.shown = options.shown ?? options.container;
    this._open(this._session);
  }

  /** The container this terminal is in. */
  readonly container: string;
  readonly query: ITerminalQuery;
  readonly serverSettings: ServerConnection.ISettings;

  /** How the container is named to the user: a kernel's container as "kernel of train.ipynb". */
  readonly shown: string;

  /** The Terminal widget titles its tab "Terminal <name>" once connected: the container as the user knows it. */
  get name(): string {
    return this.shown;
  }

  get model(): Terminal.IModel {
    return { name: this.container };
  }

  /** The server's id of this terminal (from setup; null before, or when it could not open). */
  get session(): string | null {
    return this._session;
  }

  /** The session id arrived or changed (a restorer saves it, to reconnect after a reload). */
  get sessionChanged(): ISignal<this, string | null> {
    return this._sessionChanged;
  }

  /** The server no longer keeps this terminal (ended, or not reconnected in time). */
  get isGone(): boolean {
    return this._ended === 'gone' || this._ended === 'over';
  }

  /** Nothing can start in this tab any more (the kernel whose container it was in was shut down). */
  get isOver(): boolean {
    return this._ended === 'over';
  }

  /** The exit code once the process has ended (null while it runs or when unknown). */
  get exitCode(): number | null {
    return this._exitCode;
  }

  get messageReceived(): ISignal<this, Terminal.IMessage> {
    return this._messageReceived;
  }

  get connectionStatus(): Terminal.ConnectionStatus {
    return this._status;
  }

  get connectionStatusChanged(): ISignal<this, Terminal.ConnectionStatus> {
    return this._statusChanged;
  }

  get disposed(): ISignal<this, void> {
    return this._disposed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Send stdin or set_size. Before the server's `setup` only the latest size is kept (sent
   * with each setup); once the terminal has ended, nothing is sent, except that Enter after
   * a lost connection reconnects, and Enter once the server no longer keeps the terminal
   * starts a new shell (what the tab offers).
   */
  send(message: Terminal.IMessage): void {
    const content = message.content ?? [];
    if (message.type === 'set_size') {
      this._size = content;
    }
    if (this._status === 'connected' && this._socket?.readyState === OPEN) {
      this._socket.send(JSON.stringify([message.type, ...content]));
    } else if (message.type === 'stdin' && String(content[0]).includes('\r') && (this._ended === 'lost' || this._ended === 'gone')) {
      void this.reconnect();
    }
  }

  /**
   * Connect again (the Terminal widget's refresh): to the same shell while the server keeps
   * it, else to a new shell in the same container.
   */
  reconnect(): Promise<void> {
    if (this._ended === 'over') {
      return Promise.resolve(); // nothing can start there: it would only fail again
    }
    const keep = this._ended === 'exited' || this._ended === 'gone' ? null : this._session;
    if (!keep) {
      this._closeSession(); // (a live terminal without an id: its process ends)
    }
    this._open(keep);
    return Promise.resolve();
  }

  /** End the terminal: the server ends its process at once (an attach just detaches). */
  shutdown(): Promise<void> {
    this.dispose();
    return Promise.resolve();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._closeSession();
    this._close();
    this._setStatus('disconnected');
    this._disposed.emit();
    Signal.clearData(this);
  }

  /** Tell the server this terminal is done with (not a reload): it ends the process now. */
  private _closeSession(): void {
    if (this._ended === null && this._socket?.readyState === OPEN) {
      this._socket.send(JSON.stringify(['close']));
    }
  }

  private _open(session: string | null): void {
    this._close();
    this._exitCode = null;
    this._ended = null;
    this._setStatus('connecting');
    const query: ITerminalQuery = session ? { session } : this.query;
    const socket = new this.serverSettings.WebSocket(terminalUrl(this.container, query, this.serverSettings));
    socket.onmessage = event => this._onMessage(socket, event);
    socket.onclose = () => this._onClose(socket);
    socket.onerror = () => this._onClose(socket);
    this._socket = socket;
  }

  private _close(): void {
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close();
    }
  }

  private _onMessage(socket: WebSocket, event: MessageEvent): void {
    if (socket !== this._socket || typeof event.data !== 'string') {
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return; // not terminado's format: nothing to show
    }
    if (!Array.isArray(data) || typeof data[0] !== 'string') {
      return;
    }
    const [type, ...content] = data as [string, ...unknown[]];
    if (type === 'setup') {
      const setup = content[0] as { session?: unknown } | undefined;
      if (typeof setup?.session === 'string' && setup.session !== this._session) {
        this._session = setup.session;
        this._sessionChanged.emit(this._session);
      }
      this._setStatus('connected');
      if (this._size) {
        this.send({ type: 'set_size', content: this._size });
      }
    } else if (type === 'stdout' && typeof content[0] === 'string') {
      this._emit(content[0]);
    } else if (type === 'disconnect') {
      // Not passed on: the widget would only say "[Finished… Term Session]".
      this._exitCode = typeof content[0] === 'number' ? content[0] : 1;
      this._emit(exitLine(this._exitCode));
      this._end('exited');
    } else if (type === 'session_gone') {
      // The server said why (stdout before this). A new shell is offered only where one can
      // start: not in the container of a kernel that was shut down (it went with the kernel).
      const options = content[1] as { new_shell?: unknown } | undefined;
      if (options?.new_shell === false) {
        this._emit(OVER_LINE);
        this._end('over');
      } else {
        this._emit(goneLine(this.container));
        this._end('gone');
      }
    }
  }

  private _onClose(socket: WebSocket): void {
    if (socket !== this._socket) {
      return;
    }
    this._emit(LOST_LINE);
    this._end('lost');
  }

  /** The terminal is over (or out of reach): keep what it showed, stop listening. */
  private _end(how: 'exited' | 'gone' | 'lost' | 'over'): void {
    this._ended = how;
    this._close();
    this._setStatus('disconnected');
  }

  private _emit(text: string): void {
    this._messageReceived.emit({ type: 'stdout', content: [text] });
  }

  private _setStatus(status: Terminal.ConnectionStatus): void {
    if (this._status !== status) {
      this._status = status;
      this._statusChanged.emit(status);
    }
  }

  private _socket: WebSocket | null = null;
  private _status: Terminal.ConnectionStatus = 'connecting';
  private _exitCode: number | null = null;
  private _size: Terminal.IMessage['content'] | null = null;
  private _session: string | null;
  /** Why nothing is connected any more (null while connecting or connected). */
  private _ended: 'exited' | 'gone' | 'lost' | 'over' | null = null;
  private _isDisposed = false;
  private readonly _messageReceived = new Signal<this, Terminal.IMessage>(this);
  private readonly _statusChanged = new Signal<this, Terminal.ConnectionStatus>(this);
  private readonly _disposed = new Signal<this, void>(this);
  private readonly _sessionChanged = new Signal<this, string | null>(this);
}

/**
 * A terminal tab's label and caption: a kernel's container is named as the kernel of its
 * notebook (`shown`, "kernel of train.ipynb"), its lc-kernel-<id> name only in the caption.
 */
export function tabTitle(name: string, shown: string = name): { label: string; caption: string } {
  if (shown === name) {
    return { label: `Terminal ${name}`, caption: `A terminal in the container ${name}` };
  }
  return { label: `Terminal ${shown}`, caption: `A terminal in ${name}, the container of the ${shown}` };
}
