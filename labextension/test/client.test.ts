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
import { ApiError } from '../src/errors';
import { container, STATUS } from './fakes';

function answer(status: number, body: unknown, statusText = ''): unknown {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  return { ok: status >= 200 && status < 300, status, statusText, text: () => Promise.resolve(text) };
}

function lastCall(): { url: string; init: RequestInit } {
  const [url, init] = makeRequest.mock.lastCall as [string, RequestInit];
  return { url, init };
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('client', () => {
  beforeEach(() => makeRequest.mockReset());

  it('lists containers of a scope', async () => {
    makeRequest.mockResolvedValue(answer(200, { containers: [container('train')] }));
    const containers = await client.listContainers('labcontainer');
    expect(containers.map(c => c.name)).toEqual(['train']);
    expect(lastCall().url).toBe('http://lab.test/base/labcontainer/api/containers?scope=labcontainer&all=1');
    expect(lastCall().init.method).toBe('GET');
  });

  it('URL-encodes names', async () => {
    makeRequest.mockResolvedValue(answer(200, { container: container('a b') }));
    await client.containerAction('a b/..', 'stop');
    expect(lastCall().url).toBe('http://lab.test/base/labcontainer/api/containers/a%20b%2F../stop');
    makeRequest.mockResolvedValue(answer(204, undefined));
    await client.removeContainer('x?y', true);
    expect(lastCall().url).toBe('http://lab.test/base/labcontainer/api/containers/x%3Fy?force=1');
    expect(lastCall().init.method).toBe('DELETE');
    await client.removeKernelspec('lc-a#b');
    expect(lastCall().url).toBe('http://lab.test/base/labcontainer/api/kernelspecs/lc-a%23b');
  });

  it('sends request bodies as JSON', async () => {
    const spec = { name: 'lc-x', display_name: 'X', image: 'img', gpus: '0', volumes: [], language: 'python' };
    makeRequest.mockResolvedValue(answer(201, { kernelspec: spec }));
    expect(await client.createKernelspec({ image: 'img', gpus: '0' })).toEqual({ kernelspec: spec });
    expect(lastCall().init).toEqual({ method: 'POST', body: '{"image":"img","gpus":"0"}' });
  });

  it('passes a kernelspec note on, and a taken name as its own error kind', async () => {
    const spec = { name: 'lc-x', display_name: 'X', image: 'img', gpus: null, volumes: [], language: 'python' };
    makeRequest.mockResolvedValue(answer(201, { kernelspec: spec, note: 'Checked at first start.' }));
    expect(await client.createKernelspec({ image: 'img', replace: true })).toEqual({ kernelspec: spec, note: 'Checked at first start.' });
    expect(lastCall().init.body).toBe('{"image":"img","replace":true}');
    const message = "A container kernel named 'lc-x' (image img) already exists; it was left as it is.";
    makeRequest.mockResolvedValue(answer(409, { error: { kind: 'KernelspecExists', message } }));
    await expect(client.createKernelspec({ image: 'img' })).rejects.toMatchObject({ kind: 'KernelspecExists', status: 409, message });
  });

  it('reads status, logs, GPUs, images and kernelspecs', async () => {
    makeRequest.mockResolvedValueOnce(answer(200, STATUS));
    expect(await client.getStatus()).toEqual(STATUS);
    makeRequest.mockResolvedValueOnce(answer(200, { lines: ['a', 'b'] }));
    expect(await client.containerLogs('train', 5)).toEqual(['a', 'b']);
    expect(lastCall().url).toBe('http://lab.test/base/labcontainer/api/containers/train/logs?tail=5');
    makeRequest.mockResolvedValueOnce(answer(200, { available: false, reason: 'No NVML.', driver_version: null, gpus: [] }));
    expect((await client.getGpus()).reason).toBe('No NVML.');
    makeRequest.mockResolvedValueOnce(answer(200, { images: [] }));
    expect(await client.listImages()).toEqual([]);
    makeRequest.mockResolvedValueOnce(answer(200, { kernelspecs: [] }));
    expect(await client.listKernelspecs()).toEqual([]);
  });

  it('rejects an answer of the wrong shape', async () => {
    makeRequest.mockResolvedValue(answer(200, { items: [] }));
    const error = await failure(client.listContainers());
    expect(error.kind).toBe('InternalError');
    expect(error.message).toContain('GET containers');
    makeRequest.mockResolvedValue(answer(200, { ...STATUS, connected: 'yes' }));
    expect((await failure(client.getStatus())).kind).toBe('InternalError');
    makeRequest.mockResolvedValue(answer(200, '<html>'));
    expect((await failure(client.getStatus())).kind).toBe('InternalError');
  });

  it("keeps the server's error kind and message", async () => {
    makeRequest.mockResolvedValue(answer(404, { error: { kind: 'ContainerNotFound', message: 'No container named x.' } }));
    const error = await failure(client.containerAction('x', 'start'));
    expect(error).toMatchObject({ kind: 'ContainerNotFound', message: 'No container named x.', status: 404 });
  });

  it('maps an unknown error kind to HTTPError and a bodiless failure to its status', async () => {
    makeRequest.mockResolvedValue(answer(500, { error: { kind: 'Brand new', message: 'Oops.' } }));
    expect(await failure(client.getStatus())).toMatchObject({ kind: 'HTTPError', message: 'Oops.' });
    makeRequest.mockResolvedValue(answer(502, undefined, 'Bad Gateway'));
    expect(await failure(client.getStatus())).toMatchObject({ kind: 'HTTPError', message: 'The server answered 502 Bad Gateway.' });
  });

  it('reports an unreachable server as NetworkError', async () => {
    makeRequest.mockRejectedValue(new TypeError('Failed to fetch'));
    expect(await failure(client.getStatus())).toMatchObject({ kind: 'NetworkError', status: 0 });
  });

  describe('followLogs', () => {
    /** A streaming answer whose body arrives in these pieces (records may be cut anywhere). */
    function streamed(pieces: string[], options: { signal?: AbortSignal } = {}): unknown {
      const encoder = new TextEncoder();
      let index = 0;
      const reader = {
        read: () => {
          if (options.signal?.aborted) {
            return Promise.reject(new DOMException('The user aborted a request.', 'AbortError'));
          }
          const piece = pieces[index++];
          return Promise.resolve(piece === undefined ? { done: true, value: undefined } : { done: false, value: encoder.encode(piece) });
        },
        releaseLock: () => undefined
      };
      return { ok: true, status: 200, statusText: 'OK', body: { getReader: () => reader }, text: () => Promise.resolve('') };
    }

    function follow(signal = new AbortController().signal) {
      const batches: string[][] = [];
      const done = client.followLogs('my train', { tail: 2000, signal, onLines: lines => batches.push(lines) });
      return { batches, done };
    }

    it('asks for the tail and follow=1, and gives the lines batch by batch until the end', async () => {
      makeRequest.mockResolvedValue(
        streamed(['{"lines": ["a", "b"]}\n{"li', 'nes": ["c"]}\n', '\n', '{"lines": ["d"]}\n{"end": true}\n'])
      );
      const { batches, done } = follow();
      expect(await done).toBe('ended');
      expect(batches).toEqual([['a', 'b'], ['c'], ['d']]);
      expect(lastCall().url).toBe('http://lab.test/base/labcontainer/api/containers/my%20train/logs?tail=2000&follow=1');
      expect(lastCall().init.signal).toBeDefined();
    });

    it('rejects with the server’s error record, after the lines before it', async () => {
      makeRequest.mockResolvedValue(
        streamed(['{"lines": ["a"]}\n{"error": {"kind": "ContainerNotFound", "message": "No container named x."}}\n'])
      );
      const { batches, done } = follow();
      await expect(done).rejects.toMatchObject({ kind: 'ContainerNotFound', message: 'No container named x.' });
      expect(batches).toEqual([['a']]);
    });

    it('rejects a 404 before the stream with its JSON error', async () => {
      makeRequest.mockResolvedValue(answer(404, { error: { kind: 'ContainerNotFound', message: 'No container named x.' } }));
      await expect(follow().done).rejects.toMatchObject({ kind: 'ContainerNotFound', status: 404 });
    });

    it('says so when the stream is cut off before its end', async () => {
      makeRequest.mockResolvedValue(streamed(['{"lines": ["a"]}\n']));
      const error = await failure(follow().done);
      expect(error.kind).toBe('NetworkError');
      expect(error.message).toContain('my train');
    });

    it('resolves "aborted" when the caller stops following', async () => {
      const controller = new AbortController();
      makeRequest.mockResolvedValue(streamed(['{"lines": ["a"]}\n', '{"lines": ["b"]}\n'], { signal: controller.signal }));
      const batches: string[][] = [];
      const done = client.followLogs('x', {
        tail: 10,
        signal: controller.signal,
        onLines: lines => {
          batches.push(lines);
          controller.abort();
        }
      });
      expect(await done).toBe('aborted');
      expect(batches).toEqual([['a']]);
      makeRequest.mockRejectedValue(new DOMException('The user aborted a request.', 'AbortError'));
      expect(await client.followLogs('x', { tail: 10, signal: controller.signal, onLines: () => undefined })).toBe('aborted');
    });

    it('refuses a record of another shape', async () => {
      makeRequest.mockResolvedValue(streamed(['{"line": "a"}\n']));
      expect((await failure(follow().done)).kind).toBe('InternalError');
    });
  });
});
