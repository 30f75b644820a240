/** Several servers at the REST client: each call names its server with ?connection=NAME. */
const makeRequest = jest.fn();

jest.mock('@jupyterlab/services', () => ({
  ServerConnection: {
    makeSettings: () => ({ baseUrl: 'http://lab.test/base/' }),
    makeRequest: (...args: unknown[]) => makeRequest(...args) as unknown
  }
}));

jest.mock('@jupyterlab/coreutils', () => ({
  URLExt: {
    join: (...parts: string[]) => parts.map((part, i) => (i ? part.replace(/^\/+/, '') : part.replace(/\/+$/, ''))).join('/'),
    objectToQueryString: (value: Record<string, string>) =>
      '?' + Object.entries(value).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')
  }
}));

import * as client from '../src/client';
import { boundClient } from '../src/servers';
import { container, STATUS } from './fakes';

function answer(status: number, body: unknown): unknown {
  const text = body === undefined ? '' : JSON.stringify(body);
  return { ok: status >= 200 && status < 300, status, statusText: '', text: () => Promise.resolve(text) };
}

const urls = (): string[] => makeRequest.mock.calls.map(([url]) => url as string);
const API = 'http://lab.test/base/labcontainer/api/';

describe('a client bound to a server', () => {
  beforeEach(() => makeRequest.mockReset());

  it('lists the servers with GET connections', async () => {
    const servers = {
      connections: [
        { name: 'local', uri: 'unix:///run/user/1000/podman/podman.sock', default: true, state: 'reachable' },
        { name: 'gpu2', uri: 'ssh://alice@gpu2/run/user/1000/podman/podman.sock', default: false, state: 'unreachable since 12:03: timed out' }
      ],
      default: 'local'
    };
    makeRequest.mockResolvedValue(answer(200, servers));
    expect(await client.listConnections()).toEqual(servers);
    expect(urls()).toEqual([`${API}connections`]);
  });

  it('sends ?connection= of its server on every listing and every action', async () => {
    const gpu2 = boundClient(client, () => 'gpu2');
    makeRequest.mockResolvedValue(answer(200, { containers: [container('train')], connection: 'gpu2' }));
    await gpu2.listContainers('mine');
    makeRequest.mockResolvedValue(answer(200, { container: container('train') }));
    await gpu2.containerAction('train', 'stop');
    makeRequest.mockResolvedValue(answer(204, undefined));
    await gpu2.removeContainer('train', true);
    makeRequest.mockResolvedValue(answer(200, { removed: { untagged: ['x:1'], deleted: [], other_names: [], used_by: [] } }));
    await gpu2.removeImage('localhost/x:1');
    makeRequest.mockResolvedValue(answer(200, { images: [], connection: 'gpu2' }));
    await gpu2.listImages();
    makeRequest.mockResolvedValue(answer(200, { pulls: [], connection: 'gpu2' }));
    await gpu2.listPulls();
    makeRequest.mockResolvedValue(answer(202, { pull: { image: 'x:1' } }));
    await gpu2.pullImage('x:1');
    makeRequest.mockResolvedValue(answer(200, { ...STATUS, connection: 'gpu2' }));
    await gpu2.getStatus();
    makeRequest.mockResolvedValue(answer(200, { available: false, reason: 'no GPU', driver_version: null, gpus: [], connection: 'gpu2' }));
    await gpu2.getGpus();
    expect(urls()).toEqual([
      `${API}containers?scope=mine&all=1&connection=gpu2`,
      `${API}containers/train/stop?connection=gpu2`,
      `${API}containers/train?force=1&connection=gpu2`,
      `${API}images/localhost%2Fx%3A1?connection=gpu2`,
      `${API}images?connection=gpu2`,
      `${API}pulls?connection=gpu2`,
      `${API}images?connection=gpu2`,
      `${API}status?connection=gpu2`,
      `${API}gpus?connection=gpu2`
    ]);
  });

  it('follows a log on its server', async () => {
    makeRequest.mockResolvedValue({ ok: false, status: 404, statusText: 'Not Found', text: () => Promise.resolve('') });
    await expect(
      client.followLogs('train', { tail: 10, signal: new AbortController().signal, onLines: () => undefined, connection: 'gpu2' })
    ).rejects.toThrow();
    expect(urls()).toEqual([`${API}containers/train/logs?tail=10&follow=1&connection=gpu2`]);
  });

  it('sends none while its server is not named (one server: the requests of before)', async () => {
    const main = boundClient(client, () => undefined);
    makeRequest.mockResolvedValue(answer(200, { container: container('train') }));
    await main.containerAction('train', 'start');
    makeRequest.mockResolvedValue(answer(200, { kernelspecs: [] }));
    await main.listKernelspecs();
    expect(urls()).toEqual([`${API}containers/train/start`, `${API}kernelspecs`]);
  });
});
