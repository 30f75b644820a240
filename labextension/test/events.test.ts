import type { ServerConnection } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';

import { EventsSocket, type IEventsSource } from '../src/events';
import type { EventsMessage } from '../src/generated/rest';
import { ContainersModel } from '../src/model';
import { FakeClient } from './fakes';

/** The server's events socket as the model sees it, driven by the test. */
class FakeEvents implements IEventsSource {
  isOpen = false;
  readonly openChanged = new Signal<this, boolean>(this);
  readonly received = new Signal<this, EventsMessage>(this);
  disposed = false;

  open(): void {
    this.isOpen = true;
    this.openChanged.emit(true);
    this.received.emit({ kind: 'hello', connected: true });
  }
  close(): void {
    this.isOpen = false;
    this.openChanged.emit(false);
  }
  send(message: EventsMessage): void {
    this.received.emit(message);
  }
  dispose(): void {
    this.disposed = true;
  }
}

const settle = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Wait until ``condition`` holds (a loaded machine may take long: never a fixed sleep). */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10000;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`waited 10 s for ${what}`);
    }
    await settle(5);
  }
}

/** Wait until no endpoint has been called for 60 ms: whatever was coming has come. */
async function quiet(client: FakeClient): Promise<void> {
  let seen = -1;
  for (;;) {
    const now = ENDPOINTS.reduce((sum, endpoint) => sum + client[endpoint].mock.calls.length, 0);
    if (now === seen) {
      return;
    }
    seen = now;
    await settle(60);
  }
}

type Endpoint = 'getStatus' | 'listContainers' | 'getGpus' | 'listImages' | 'listKernelspecs';
const ENDPOINTS: Endpoint[] = ['getStatus', 'listContainers', 'getGpus', 'listImages', 'listKernelspecs'];

/** Forget the calls so far (the socket's opening reloads everything). */
function clearCalls(client: FakeClient): void {
  for (const endpoint of ENDPOINTS) {
    client[endpoint].mockClear();
  }
}

/** The endpoints called since clearCalls, each with its count. */
function calls(client: FakeClient): Partial<Record<Endpoint, number>> {
  const counts: Partial<Record<Endpoint, number>> = {};
  for (const endpoint of ENDPOINTS) {
    const count = client[endpoint].mock.calls.length;
    if (count > 0) {
      counts[endpoint] = count;
    }
  }
  return counts;
}

describe('ContainersModel with pushed notices', () => {
  let client: FakeClient;
  let events: FakeEvents;
  let model: ContainersModel;

  beforeEach(() => {
    client = new FakeClient();
    events = new FakeEvents();
    model = new ContainersModel({ client, events, autoStart: false, coalesce: 20 });
  });

  afterEach(() => model.dispose());

  /** Open the socket and wait until its opening reload of everything has come and gone. */
  async function opened(): Promise<void> {
    events.open();
    await until(() => ENDPOINTS.every(endpoint => client[endpoint].mock.calls.length > 0), 'the opening reload');
    await quiet(client);
  }

  /** After a notice: wait until its reload began, then until it is over. */
  async function reloaded(): Promise<void> {
    await until(() => ENDPOINTS.some(endpoint => client[endpoint].mock.calls.length > 0), 'a reload');
    await quiet(client);
  }

  it('refreshes at once when a container notice comes, one refresh for a burst', async () => {
    await opened();
    clearCalls(client);
    client.containers[0].state = 'exited';
    client.containers[0].status = 'Exited (137) 1 second ago';
    for (const status of ['died', 'cleanup', 'stop']) {
      events.send({ kind: 'containers', name: client.containers[0].name, status });
    }
    await reloaded();
    expect(client.listContainers).toHaveBeenCalledTimes(1);
    expect(model.container(client.containers[0].name)?.state).toBe('exited');
  });

  it('reloads the containers and the GPUs (who uses each) on a container notice, not the images', async () => {
    await opened();
    clearCalls(client);
    events.send({ kind: 'containers', name: 'train', status: 'start' });
    await reloaded();
    expect(calls(client)).toEqual({ listContainers: 1, getGpus: 1 });
  });

  it('reloads only the images on an image notice: no GPU, container or kernelspec call', async () => {
    await opened();
    clearCalls(client);
    events.send({ kind: 'images', name: 'localhost/new:1', action: 'tag' });
    await reloaded();
    expect(calls(client)).toEqual({ listImages: 1 });
  });

  it('reloads only the container rows on a kernel notice', async () => {
    await opened();
    clearCalls(client);
    events.send({ kind: 'kernels', kernel_id: 'k1', name: 'lc-kernel-k1', action: 'shutdown' });
    await reloaded();
    expect(calls(client)).toEqual({ listContainers: 1 });
  });

  it('reloads what a burst of notices of several kinds concerns, once', async () => {
    await opened();
    clearCalls(client);
    events.send({ kind: 'images', name: 'localhost/new:1', action: 'pull' });
    events.send({ kind: 'containers', name: 'lc-kernel-k1', status: 'create' });
    events.send({ kind: 'kernels', kernel_id: 'k1', name: 'lc-kernel-k1', action: 'start' });
    await reloaded();
    expect(calls(client)).toEqual({ listContainers: 1, getGpus: 1, listImages: 1 });
  });

  it('reloads everything when the server follows Podman again', async () => {
    events.open();
    events.send({ kind: 'podman', connected: false });
    await settle(60);
    clearCalls(client);
    events.send({ kind: 'podman', connected: true });
    await settle(60);
    expect(calls(client)).toEqual({ getStatus: 1, listContainers: 1, getGpus: 1, listImages: 1, listKernelspecs: 1 });
  });

  it('applies an older full reload\'s other sections, never its stale images over a newer image reload', async () => {
    await opened();
    let release: () => void = () => undefined;
    client.getStatus.mockImplementationOnce(() => new Promise(resolve => (release = () => resolve({ ...client.status }))));
    const full = model.refresh(); // begun before the image changed; its images are older
    const old = client.images;
    client.images = [...old, { ...old[0], id: 'f'.repeat(64), name: 'localhost/new:1', tags: ['localhost/new:1'] }];
    events.send({ kind: 'images', name: 'localhost/new:1', action: 'tag' });
    await reloaded();
    expect(model.images.map(image => image.name)).toContain('localhost/new:1');
    client.images = old; // what the full reload would read now is the older answer
    client.containers[0].status = 'Up 4 minutes';
    release();
    await full;
    expect(model.images.map(image => image.name)).toContain('localhost/new:1');
    expect(model.container(client.containers[0].name)?.status).toBe('Up 4 minutes');
  });

  it('refreshes the kernel form\'s image list when an image notice comes', async () => {
    await opened();
    client.listImages.mockClear();
    client.images = [...client.images, { ...client.images[0], id: 'f'.repeat(64), name: 'localhost/new:1' }];
    events.send({ kind: 'images', name: 'localhost/new:1', action: 'tag' });
    await reloaded();
    expect(client.listImages).toHaveBeenCalledTimes(1);
    expect(model.images.map(image => image.name)).toContain('localhost/new:1');
  });

  it('refreshes the container rows when a kernel notice comes', async () => {
    await opened();
    clearCalls(client);
    events.send({ kind: 'kernels', kernel_id: 'k1', name: 'lc-kernel-k1', action: 'start' });
    await reloaded();
    expect(client.listContainers).toHaveBeenCalledTimes(1);
  });

  it('ignores a notice of a kind it does not know, and messages without a kind', async () => {
    await opened();
    client.getStatus.mockClear();
    events.send({ kind: 'volumes', name: 'data' } as unknown as EventsMessage);
    await settle(60);
    expect(client.getStatus).not.toHaveBeenCalled();
    expect(model.pollInterval).toBe(60000);
  });

  it('polls only as a heartbeat while the socket is open, every 5 s again once it closes', () => {
    expect(model.pollInterval).toBe(5000);
    events.open();
    expect(model.pollInterval).toBe(60000);
    events.close();
    expect(model.pollInterval).toBe(5000);
  });

  it('polls every 5 s while the server cannot follow Podman, and refreshes when it can again', async () => {
    events.open();
    events.send({ kind: 'podman', connected: false });
    expect(model.pollInterval).toBe(5000);
    await settle(60);
    client.getStatus.mockClear();
    events.send({ kind: 'podman', connected: true });
    expect(model.pollInterval).toBe(60000);
    await settle(60);
    expect(client.getStatus).toHaveBeenCalledTimes(1);
  });

  it('closes the socket with the model', () => {
    model.dispose();
    expect(events.disposed).toBe(true);
  });
});

/** Enough of a browser WebSocket for EventsSocket. */
class FakeWebSocket {
  static made: FakeWebSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeWebSocket.made.push(this);
  }
  close(): void {
    this.closed = true;
  }
}

describe('EventsSocket', () => {
  beforeEach(() => {
    FakeWebSocket.made = [];
  });

  // Only what a socket uses (makeSettings would want a fetch, which jsdom lacks).
  const settings = () =>
    ({
      baseUrl: 'http://localhost:8888/lab%40x/',
      wsUrl: 'ws://localhost:8888/lab%40x/',
      token: 'secret',
      appendToken: true,
      WebSocket: FakeWebSocket as unknown as typeof WebSocket
    }) as unknown as ServerConnection.ISettings;

  it('opens the events endpoint with the token and passes messages on', () => {
    const socket = new EventsSocket({ settings: settings() });
    const seen: EventsMessage[] = [];
    socket.received.connect((_, message) => seen.push(message));
    const [ws] = FakeWebSocket.made;
    expect(ws.url).toBe('ws://localhost:8888/lab%40x/labcontainer/api/events?token=secret');
    ws.onopen?.();
    expect(socket.isOpen).toBe(true);
    ws.onmessage?.({ data: JSON.stringify({ kind: 'containers', name: 'train', status: 'died' }) });
    ws.onmessage?.({ data: 'not json' });
    ws.onmessage?.({ data: '[1, 2]' });
    ws.onmessage?.({ data: 'null' });
    ws.onmessage?.({ data: JSON.stringify({ name: 'no kind' }) });
    ws.onmessage?.({ data: JSON.stringify({ kind: 'images', name: 'localhost/x:1', action: 'pull' }) });
    expect(seen).toEqual([
      { kind: 'containers', name: 'train', status: 'died' },
      { kind: 'images', name: 'localhost/x:1', action: 'pull' }
    ]);
    socket.dispose();
    expect(ws.closed).toBe(true);
  });

  it('opens another server’s notices with ?connection=', () => {
    const socket = new EventsSocket({ settings: settings(), connection: 'gpu2' });
    const ws = FakeWebSocket.made[FakeWebSocket.made.length - 1];
    expect(ws.url).toBe('ws://localhost:8888/lab%40x/labcontainer/api/events?connection=gpu2&token=secret');
    socket.dispose();
  });

  it('reopens a closed socket with a growing delay, and stops when disposed', async () => {
    const socket = new EventsSocket({ settings: settings(), minDelay: 10, maxDelay: 40 });
    const opens: boolean[] = [];
    socket.openChanged.connect((_, open) => opens.push(open));
    FakeWebSocket.made[0].onopen?.();
    FakeWebSocket.made[0].onclose?.();
    expect(socket.isOpen).toBe(false);
    await settle(30);
    expect(FakeWebSocket.made).toHaveLength(2);
    FakeWebSocket.made[1].onclose?.(); // refused again: the next try waits longer
    await settle(12);
    expect(FakeWebSocket.made).toHaveLength(2);
    await settle(40);
    expect(FakeWebSocket.made).toHaveLength(3);
    socket.dispose();
    FakeWebSocket.made[2].onclose?.();
    await settle(60);
    expect(FakeWebSocket.made).toHaveLength(3);
    expect(opens).toEqual([true, false]);
  });
});
