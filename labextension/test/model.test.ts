import { ApiError } from '../src/errors';
import { ContainersModel } from '../src/model';
import { FakeClient } from './fakes';

type Section = 'status' | 'containers' | 'gpus' | 'images' | 'kernelspecs' | 'error';

/** Count each section's signal emissions. */
function countSignals(model: ContainersModel): Record<Section, number> {
  const counts: Record<Section, number> = { status: 0, containers: 0, gpus: 0, images: 0, kernelspecs: 0, error: 0 };
  model.statusChanged.connect(() => counts.status++);
  model.containersChanged.connect(() => counts.containers++);
  model.gpusChanged.connect(() => counts.gpus++);
  model.imagesChanged.connect(() => counts.images++);
  model.kernelspecsChanged.connect(() => counts.kernelspecs++);
  model.errorChanged.connect(() => counts.error++);
  return counts;
}

describe('ContainersModel', () => {
  let client: FakeClient;
  let model: ContainersModel;

  beforeEach(() => {
    client = new FakeClient();
    model = new ContainersModel({ client, autoStart: false });
  });

  afterEach(() => model.dispose());

  it('loads every section and signals each once', async () => {
    const counts = countSignals(model);
    await model.refresh();
    expect(counts).toEqual({ status: 1, containers: 1, gpus: 1, images: 1, kernelspecs: 1, error: 0 });
    expect(model.containers.map(c => c.name)).toEqual(['train', 'notebook']);
    expect(model.status?.version).toBe('4.9.3');
    expect(model.gpus?.gpus).toHaveLength(2);
    expect(client.listContainers).toHaveBeenCalledWith('mine');
  });

  it('signals nothing when a refresh brings identical data', async () => {
    await model.refresh();
    const counts = countSignals(model);
    const containers = model.containers;
    await model.refresh();
    await model.refresh();
    expect(counts).toEqual({ status: 0, containers: 0, gpus: 0, images: 0, kernelspecs: 0, error: 0 });
    expect(model.containers).toBe(containers);
    expect(client.getStatus).toHaveBeenCalledTimes(3);
  });

  it('signals only the section that changed', async () => {
    await model.refresh();
    const counts = countSignals(model);
    client.containers[1].status = 'Exited (0) 5 seconds ago';
    await model.refresh();
    expect(counts).toEqual({ status: 0, containers: 1, gpus: 0, images: 0, kernelspecs: 0, error: 0 });

    client.gpus.gpus[0].utilization = 99;
    await model.refresh();
    expect(counts.gpus).toBe(1);
    expect(counts.containers).toBe(1);
  });

  it('keeps a failure as error, signals it once, and clears it on success', async () => {
    await model.refresh();
    const counts = countSignals(model);
    client.getStatus.mockRejectedValue(new ApiError('Podman went away.', 'ServiceUnavailable', 503));
    await model.refresh();
    await model.refresh();
    expect(counts.error).toBe(1);
    expect(model.error?.kind).toBe('ServiceUnavailable');
    expect(model.containers).toHaveLength(2);

    client.getStatus.mockImplementation(() => Promise.resolve({ ...client.status }));
    await model.refresh();
    expect(counts.error).toBe(2);
    expect(model.error).toBeNull();
  });

  it('turns unexpected failures into an InternalError ApiError', async () => {
    client.listImages.mockRejectedValue(new TypeError('boom'));
    await model.refresh();
    expect(model.error).toBeInstanceOf(ApiError);
    expect(model.error?.kind).toBe('InternalError');
  });

  it('shows no containers while Podman is not reachable', async () => {
    await model.refresh();
    client.status = {
      connected: false,
      message: 'No socket.',
      url: null,
      rootless: null,
      version: null,
      started_by_labcontainer: false,
      note: null
    };
    await model.refresh();
    expect(model.status?.connected).toBe(false);
    expect(model.containers).toEqual([]);
    expect(client.listContainers).toHaveBeenCalledTimes(1);
  });

  it('applies only the last of overlapping refreshes', async () => {
    let release: () => void = () => undefined;
    client.getStatus.mockImplementationOnce(
      () => new Promise(resolve => (release = () => resolve({ ...client.status, version: 'old' })))
    );
    const first = model.refresh();
    await model.refresh();
    release();
    await first;
    expect(model.status?.version).toBe('4.9.3');
  });

  it('applies an overlapped refresh when no newer answer has come yet', async () => {
    const releases: Array<() => void> = [];
    for (const version of ['first', 'second']) {
      client.getStatus.mockImplementationOnce(
        () => new Promise(resolve => releases.push(() => resolve({ ...client.status, version })))
      );
    }
    const first = model.refresh();
    const second = model.refresh(); // a notice came while the first was on its way
    releases[0]();
    await first;
    expect(model.status?.version).toBe('first'); // not held back until the second ends
    expect(model.containers.length).toBeGreaterThan(0);
    releases[1]();
    await second;
    expect(model.status?.version).toBe('second');
  });

  it('lists the chosen scope', async () => {
    model.scope = 'labcontainer';
    await model.refresh();
    expect(client.listContainers).toHaveBeenLastCalledWith('labcontainer');
  });

  it('runs container actions through the client and refreshes', async () => {
    await model.refresh();
    const changes: string[][] = [];
    model.containersChanged.connect((_, containers) => changes.push(containers.map(c => `${c.name}:${c.state}`)));

    const answer = await model.stop('train');
    expect(client.containerAction).toHaveBeenCalledWith('train', 'stop');
    expect(answer.state).toBe('exited');
    expect(model.container('train')?.state).toBe('exited');
    // the action's answer is shown at once; the refresh after it brings nothing new
    expect(changes).toEqual([['train:exited', 'notebook:exited']]);

    await model.start('train');
    expect(client.containerAction).toHaveBeenLastCalledWith('train', 'start');
    await model.restart('train');
    expect(client.containerAction).toHaveBeenLastCalledWith('train', 'restart');

    await model.remove('notebook');
    expect(client.removeContainer).toHaveBeenCalledWith('notebook', false);
    expect(model.containers.map(c => c.name)).toEqual(['train']);
  });

  it('rejects a failed action with the ApiError and still refreshes', async () => {
    await model.refresh();
    const failure = new ApiError('No container named x.', 'ContainerNotFound', 404);
    client.containerAction.mockRejectedValueOnce(failure);
    const calls = client.getStatus.mock.calls.length;
    await expect(model.containerAction('x', 'start')).rejects.toBe(failure);
    expect(client.getStatus.mock.calls.length).toBe(calls + 1);
  });

  it('creates and removes kernelspecs through the client and refreshes the launcher', async () => {
    const refreshLauncher = jest.fn(() => Promise.resolve());
    model.dispose();
    model = new ContainersModel({ client, autoStart: false, refreshLauncher });
    await model.refresh();
    const counts = countSignals(model);

    const { kernelspec: spec } = await model.createKernelspec({ image: 'localhost/pytorch:latest', gpus: '0', display_name: 'Mine' });
    expect(client.createKernelspec).toHaveBeenCalledWith({ image: 'localhost/pytorch:latest', gpus: '0', display_name: 'Mine' });
    expect(spec.display_name).toBe('Mine');
    expect(refreshLauncher).toHaveBeenCalledTimes(1);
    expect(counts.kernelspecs).toBe(1);
    expect(model.kernelspecs.map(s => s.name)).toContain('lc-new');

    await model.removeKernelspec('lc-new');
    expect(client.removeKernelspec).toHaveBeenCalledWith('lc-new');
    expect(refreshLauncher).toHaveBeenCalledTimes(2);
    expect(counts.kernelspecs).toBe(2);
  });

  it('stops signalling once disposed', async () => {
    const counts = countSignals(model);
    const pending = model.refresh();
    model.dispose();
    await pending;
    expect(model.isDisposed).toBe(true);
    expect(counts.status).toBe(0);
  });
});
