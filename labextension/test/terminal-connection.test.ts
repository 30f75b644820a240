import type { ServerConnection, Terminal } from '@jupyterlab/services';

import { terminalUrl } from '../src/client';
import { isContainerKernel } from '../src/containerKernel';
import { ContainerTerminalConnection, exitLine, goneLine, LOST_LINE, OVER_LINE } from '../src/terminal';

/** A WebSocket stand-in: records what is sent; the test plays the server. */
class FakeSocket {
  static made: FakeSocket[] = [];

  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }

  readyState = 0;
  sent: unknown[] = [];
  closed = false;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.closed = true;
    this.readyState = 3;
  }

  /** The server sends one terminado message. */
  receive(...message: unknown[]): void {
    this.readyState = 1;
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  /** The server (or the network) closes the socket. */
  drop(): void {
    this.readyState = 3;
    this.onclose?.();
  }
}

/** What the connection reads of ServerConnection's settings (makeSettings wants fetch). */
function settings(token = 'secret'): ServerConnection.ISettings {
  const fields: Partial<ServerConnection.ISettings> = {
    baseUrl: 'http://lab.test/base/',
    wsUrl: 'ws://lab.test/base/',
    token,
    appendToken: true,
    WebSocket: FakeSocket as unknown as typeof WebSocket
  };
  return fields as ServerConnection.ISettings;
}

function open(query = {}, session?: string): { connection: ContainerTerminalConnection; socket: FakeSocket; stdout: string[]; statuses: string[] } {
  FakeSocket.made = [];
  const connection = new ContainerTerminalConnection({ container: 'train', query, session, serverSettings: settings() });
  const stdout: string[] = [];
  const statuses: string[] = [];
  connection.messageReceived.connect((_, message: Terminal.IMessage) => {
    expect(message.type).toBe('stdout');
    stdout.push(String(message.content?.[0]));
  });
  connection.connectionStatusChanged.connect((_, status) => statuses.push(status));
  return { connection, socket: FakeSocket.made[0], stdout, statuses };
}

describe('terminalUrl', () => {
  it('is the container terminal endpoint on the websocket URL, with the token like Jupyter terminals', () => {
    expect(terminalUrl('my box', {}, settings())).toBe(
      'ws://lab.test/base/labcontainer/api/containers/my%20box/terminal?token=secret'
    );
  });

  it('sends the query it is given and no token when the login cookie authenticates', () => {
    const url = terminalUrl('train', { mode: 'exec', cmd: 'python -q', user: '', workdir: '/work' }, settings(''));
    expect(url).toBe('ws://lab.test/base/labcontainer/api/containers/train/terminal?mode=exec&cmd=python%20-q&workdir=%2Fwork');
  });
});

describe('ContainerTerminalConnection', () => {
  it('opens one socket to the container and is connected once the server sends setup', () => {
    const { connection, socket, statuses } = open({ mode: 'attach' });
    expect(FakeSocket.made).toHaveLength(1);
    expect(socket.url).toBe('ws://lab.test/base/labcontainer/api/containers/train/terminal?mode=attach&token=secret');
    expect(connection.name).toBe('train');
    expect(connection.model).toEqual({ name: 'train' });
    expect(connection.connectionStatus).toBe('connecting');
    socket.receive('setup', {});
    expect(connection.connectionStatus).toBe('connected');
    expect(statuses).toEqual(['connected']);
  });

  it('names a kernel container as the kernel of its notebook, for the widget\'s tab title', () => {
    FakeSocket.made = [];
    const connection = new ContainerTerminalConnection({
      container: 'lc-kernel-d0953ce8',
      shown: 'kernel of train.ipynb',
      serverSettings: settings()
    });
    expect(connection.name).toBe('kernel of train.ipynb'); // JupyterLab's Terminal titles its tab "Terminal <name>"
    expect(connection.container).toBe('lc-kernel-d0953ce8');
    expect(FakeSocket.made[0].url).toContain('/containers/lc-kernel-d0953ce8/terminal');
    connection.dispose();
  });

  it('passes stdout on in order', () => {
    const { socket, stdout } = open();
    socket.receive('setup', {});
    socket.receive('stdout', 'root@box:/# ');
    socket.receive('stdout', 'echo 42\r\n42\r\n');
    expect(stdout).toEqual(['root@box:/# ', 'echo 42\r\n42\r\n']);
  });

  it('sends stdin and set_size as terminado messages', () => {
    const { connection, socket } = open();
    socket.receive('setup', {});
    connection.send({ type: 'stdin', content: ['echo $((6*7))\r'] });
    connection.send({ type: 'stdin', content: ['\x03'] });
    connection.send({ type: 'set_size', content: [24, 80, 480, 800] });
    expect(socket.sent).toEqual([
      ['stdin', 'echo $((6*7))\r'],
      ['stdin', '\x03'],
      ['set_size', 24, 80, 480, 800]
    ]);
  });

  it('keeps the size asked for before setup and sends it with setup; drops stdin before it', () => {
    const { connection, socket } = open();
    connection.send({ type: 'set_size', content: [10, 40, 200, 400] });
    connection.send({ type: 'set_size', content: [30, 100, 600, 1000] });
    connection.send({ type: 'stdin', content: ['too early'] });
    expect(socket.sent).toEqual([]);
    socket.receive('setup', {});
    expect(socket.sent).toEqual([['set_size', 30, 100, 600, 1000]]);
  });

  it('says how the process ended, stays (not disposed) and sends nothing more', () => {
    const { connection, socket, stdout, statuses } = open();
    const disposed = jest.fn();
    connection.disposed.connect(disposed);
    socket.receive('setup', {});
    socket.receive('stdout', 'bye\r\n');
    socket.receive('disconnect', 3);
    expect(stdout).toEqual(['bye\r\n', '\r\n[process exited with code 3]\r\n']);
    expect(exitLine(3)).toBe('\r\n[process exited with code 3]\r\n');
    expect(connection.exitCode).toBe(3);
    expect(connection.connectionStatus).toBe('disconnected');
    expect(statuses).toEqual(['connected', 'disconnected']);
    expect(socket.closed).toBe(true);
    expect(connection.isDisposed).toBe(false);
    expect(disposed).not.toHaveBeenCalled();
    connection.send({ type: 'stdin', content: ['ls\r'] });
    expect(socket.sent).toEqual([]);
    socket.drop(); // the server's close after disconnect adds nothing
    expect(stdout).toHaveLength(2);
  });

  it('shows a terminal that could not open: the server’s paragraph, then the exit line', () => {
    const { socket, stdout, connection } = open();
    socket.receive('setup', {});
    socket.receive('stdout', 'The container train is not running. Start it first.\r\n');
    socket.receive('disconnect', 1);
    expect(stdout.join('')).toBe('The container train is not running. Start it first.\r\n\r\n[process exited with code 1]\r\n');
    expect(connection.exitCode).toBe(1);
  });

  it('says so when the socket is cut without a disconnect message', () => {
    const { connection, socket, stdout } = open();
    socket.receive('setup', {});
    socket.drop();
    expect(stdout).toEqual([LOST_LINE]);
    expect(connection.connectionStatus).toBe('disconnected');
    expect(connection.exitCode).toBeNull();
  });

  it('ignores what is not terminado JSON', () => {
    const { socket, stdout } = open();
    socket.receive('setup', {});
    socket.onmessage?.({ data: 'not json' });
    socket.onmessage?.({ data: JSON.stringify({ stdout: 'x' }) });
    expect(stdout).toEqual([]);
  });

  it('reconnect hangs up the old process and opens a new terminal that gets the size again', () => {
    const { connection, socket } = open();
    socket.receive('setup', {});
    connection.send({ type: 'set_size', content: [24, 80, 480, 800] });
    socket.receive('disconnect', 0);
    void connection.reconnect();
    expect(FakeSocket.made).toHaveLength(2);
    const second = FakeSocket.made[1];
    expect(connection.connectionStatus).toBe('connecting');
    expect(connection.exitCode).toBeNull();
    second.receive('setup', {});
    expect(second.sent).toEqual([['set_size', 24, 80, 480, 800]]);
    socket.receive('stdout', 'late words of the old process');
    expect(connection.connectionStatus).toBe('connected');
  });

  it('shutdown closes the socket (the process gets SIGHUP) and disposes', async () => {
    const { connection, socket } = open();
    const disposed = jest.fn();
    connection.disposed.connect(disposed);
    socket.receive('setup', {});
    await connection.shutdown();
    expect(socket.closed).toBe(true);
    expect(connection.isDisposed).toBe(true);
    expect(connection.connectionStatus).toBe('disconnected');
    expect(disposed).toHaveBeenCalledTimes(1);
    connection.dispose();
    expect(disposed).toHaveBeenCalledTimes(1);
  });

  it('shutdown tells the server to end the process now (closing the tab), then closes', async () => {
    const { connection, socket } = open();
    socket.receive('setup', { session: 'abc' });
    await connection.shutdown();
    expect(socket.sent).toEqual([['close']]);
    expect(socket.closed).toBe(true);
  });
});

describe('ContainerTerminalConnection across page reloads', () => {
  it('learns its session id from setup and says so (the restorer saves it)', () => {
    const { connection, socket } = open();
    const ids: (string | null)[] = [];
    connection.sessionChanged.connect((_, id) => ids.push(id));
    expect(connection.session).toBeNull();
    socket.receive('setup', { session: 'abc' });
    expect(connection.session).toBe('abc');
    expect(ids).toEqual(['abc']);
  });

  it('a restored tab reconnects with its session id, not a new command', () => {
    const { connection, socket, stdout } = open({ mode: 'exec', cmd: 'python3' }, 'abc');
    expect(socket.url).toBe('ws://lab.test/base/labcontainer/api/containers/train/terminal?session=abc&token=secret');
    socket.receive('setup', { session: 'abc' });
    socket.receive('stdout', 'what it showed before the reload');
    expect(stdout).toEqual(['what it showed before the reload']);
    expect(connection.connectionStatus).toBe('connected');
  });

  it('when the server no longer keeps it: says so, and Enter starts a new shell with the same query', () => {
    const { connection, socket, stdout } = open({ mode: 'exec', cmd: 'python3' }, 'abc');
    socket.receive('setup', {});
    socket.receive('stdout', 'This terminal’s shell in train is no longer there.\r\n');
    socket.receive('session_gone', 'abc');
    expect(stdout.join('')).toBe('This terminal’s shell in train is no longer there.\r\n' + goneLine('train'));
    expect(connection.isGone).toBe(true);
    expect(connection.connectionStatus).toBe('disconnected');
    connection.send({ type: 'stdin', content: ['x'] }); // only Enter
    expect(FakeSocket.made).toHaveLength(1);
    connection.send({ type: 'stdin', content: ['\r'] });
    expect(FakeSocket.made).toHaveLength(2);
    expect(FakeSocket.made[1].url).toBe('ws://lab.test/base/labcontainer/api/containers/train/terminal?mode=exec&cmd=python3&token=secret');
    FakeSocket.made[1].receive('setup', { session: 'new' });
    expect(connection.session).toBe('new');
    expect(connection.isGone).toBe(false);
  });

  it('in the container of a kernel that was shut down, offers no new shell and starts none', () => {
    const { connection, socket, stdout } = open({}, 'abc');
    socket.receive('setup', {});
    socket.receive('stdout', 'The kernel this terminal was in has been shut down.\r\n');
    socket.receive('session_gone', 'abc', { new_shell: false });
    const shown = stdout.join('');
    expect(shown).toBe('The kernel this terminal was in has been shut down.\r\n' + OVER_LINE);
    expect(shown).not.toContain('Press Enter');
    expect(connection.isOver).toBe(true);
    expect(connection.connectionStatus).toBe('disconnected');
    connection.send({ type: 'stdin', content: ['\r'] }); // Enter: nothing to start
    void connection.reconnect(); // nor the widget's refresh
    expect(FakeSocket.made).toHaveLength(1);
  });

  it('after a lost connection, Enter reconnects to the same shell', () => {
    const { connection, socket } = open();
    socket.receive('setup', { session: 'abc' });
    socket.drop();
    connection.send({ type: 'stdin', content: ['\r'] });
    expect(FakeSocket.made).toHaveLength(2);
    expect(FakeSocket.made[1].url).toContain('terminal?session=abc&');
  });

  it('refresh of a live terminal reconnects to the same shell and does not end it', () => {
    const { connection, socket } = open();
    socket.receive('setup', { session: 'abc' });
    void connection.reconnect();
    expect(socket.sent).toEqual([]);
    expect(FakeSocket.made[1].url).toContain('terminal?session=abc&');
  });
});

describe('isContainerKernel', () => {
  const specs = {
    default: 'python3',
    kernelspecs: {
      python3: { name: 'python3', display_name: 'Python 3', language: 'python', argv: [], resources: {} },
      'lc-train': {
        name: 'lc-train',
        display_name: 'Train',
        language: 'python',
        argv: [],
        resources: {},
        metadata: { kernel_provisioner: { provisioner_name: 'labcontainer-podman', config: {} } }
      }
    }
  };

  it('is true for kernelspecs with labcontainer’s provisioner only', () => {
    expect(isContainerKernel(specs, 'lc-train')).toBe(true);
    expect(isContainerKernel(specs, 'python3')).toBe(false);
    expect(isContainerKernel(specs, 'unknown')).toBe(false);
    expect(isContainerKernel(null, 'lc-train')).toBe(false);
    expect(isContainerKernel(specs, undefined)).toBe(false);
  });
});
