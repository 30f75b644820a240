/**
 * A terminal into a container for JupyterLab's own Terminal widget: a
 * `Terminal.ITerminalConnection` backed by labcontainer's terminal websocket, which speaks
 * terminado's JSON messages like Jupyter's terminals (docs/rest-api.md, Terminal).
 *
 * Unlike a Jupyter terminal, the process lives only as long as the socket: there is no
 * named server-side session to reconnect to. So when the process ends this connection is
 * not disposed (that would close the tab); it writes how the process ended and stays,
 * readable, in the 'disconnected' state.
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
  }
}

/** What the user sees in the terminal when the process ended with this exit code. */
export function exitLine(code: number): string {
  return `\r\n[process exited with code ${code}]\r\n`;
}

/** What the user sees when the socket closed without the server saying the process ended. */
export const LOST_LINE =
  '\r\n[the connection to the Jupyter server was lost; the process got SIGHUP. Close this tab and open a new terminal.]\r\n';

export class ContainerTerminalConnection implements Terminal.ITerminalConnection {
  constructor(options: ContainerTerminalConnection.IOptions) {
    this.container = options.container;
    this.query = options.query ?? {};
    this.serverSettings = options.serverSettings ?? ServerConnection.makeSettings();
    this._open();
  }

  /** The container this terminal is in. */
  readonly container: string;
  readonly query: ITerminalQuery;
  readonly serverSettings: ServerConnection.ISettings;

  /** The Terminal widget titles its tab "Terminal <name>". */
  get name(): string {
    return this.container;
  }

  get model(): Terminal.IModel {
    return { name: this.container };
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
   * with each setup: the widget sends its size once, but a reconnect starts a new process);
   * once the terminal has ended, nothing is sent.
   */
  send(message: Terminal.IMessage): void {
    const content = message.content ?? [];
    if (message.type === 'set_size') {
      this._size = content;
    }
    if (this._status === 'connected' && this._socket?.readyState === OPEN) {
      this._socket.send(JSON.stringify([message.type, ...content]));
    }
  }

  /**
   * A fresh terminal in the same container (the Terminal widget's refresh): the old
   * process is hung up, a new one starts.
   */
  reconnect(): Promise<void> {
    this._open();
    return Promise.resolve();
  }

  /** End the terminal: closing the socket hangs up an exec's process. */
  shutdown(): Promise<void> {
    this.dispose();
    return Promise.resolve();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._close();
    this._setStatus('disconnected');
    this._disposed.emit();
    Signal.clearData(this);
  }

  private _open(): void {
    this._close();
    this._exitCode = null;
    this._setStatus('connecting');
    const socket = new this.serverSettings.WebSocket(terminalUrl(this.container, this.query, this.serverSettings));
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
      this._end();
    }
  }

  private _onClose(socket: WebSocket): void {
    if (socket !== this._socket) {
      return;
    }
    this._emit(LOST_LINE);
    this._end();
  }

  /** The terminal is over: keep what it showed, stop listening. */
  private _end(): void {
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
  private _isDisposed = false;
  private readonly _messageReceived = new Signal<this, Terminal.IMessage>(this);
  private readonly _statusChanged = new Signal<this, Terminal.ConnectionStatus>(this);
  private readonly _disposed = new Signal<this, void>(this);
}
