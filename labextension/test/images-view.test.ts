const showDialog = jest.fn((_options: unknown) => Promise.resolve({ button: { accept: true } }));
const makeRequest = jest.fn();

jest.mock('@jupyterlab/apputils', () => ({
  showDialog: (options: unknown) => showDialog(options),
  Dialog: {
    okButton: () => ({ label: 'Ok' }),
    cancelButton: () => ({ label: 'Cancel' }),
    warnButton: (options: { label: string }) => options
  }
}));

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

import type { Widget } from '@lumino/widgets';

import * as client from '../src/client';
import { ApiError } from '../src/errors';
import type { Image, Pull } from '../src/generated/rest';
import { ContainersModel } from '../src/model';
import { formatAge, formatSize, ImagesView } from '../src/views/images';
import { FakeClient, settle } from './fakes';

const wait = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

const NOW = Date.parse('2024-05-10T12:00:00Z');

function image(name: string, fields: Partial<Image> = {}): Image {
  return {
    id: `sha256:${name}`,
    short_id: name.replace(/\W/g, '').slice(0, 12),
    name,
    tags: [name],
    size: 1_230_000_000,
    created: '2024-05-07T11:00:00Z',
    ...fields
  };
}

function pull(image: string, fields: Partial<Pull> = {}): Pull {
  return { image, kernel_id: null, message: `Pulling ${image}`, downloaded: 0, total: 0, fraction: null, elapsed: 1, ...fields };
}

const IN_USE =
  "The image 'localhost/pytorch:latest' is used by container train, so it was not removed. " +
  'Remove it first (`%container rm train`), then remove the image.';

function rows(host: HTMLElement): HTMLElement[] {
  return Array.from(host.querySelectorAll<HTMLElement>('.lc-ImageRow'));
}

function dialogText(call: number): { title: string; text: string } {
  const { title, body } = showDialog.mock.calls[call][0] as { title: string; body: Widget };
  return { title, text: body.node.textContent ?? '' };
}

describe('formatting', () => {
  it('says sizes in Podman\'s decimal units and ages as podman images does', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(1_230_000_000)).toBe('1.23 GB');
    expect(formatSize(45_600_000)).toBe('45.6 MB');
    expect(formatSize(123_000)).toBe('123 kB');
    expect(formatAge('2024-05-07T11:00:00Z', NOW)).toBe('3 days ago');
    expect(formatAge('2024-05-10T11:00:00Z', NOW)).toBe('1 hour ago');
    expect(formatAge('2024-05-10T11:59:50Z', NOW)).toBe('just now');
    expect(formatAge(null, NOW)).toBe('');
  });
});

describe('ImagesView', () => {
  let host: HTMLElement;
  let fake: FakeClient;
  let model: ContainersModel;
  let view: ImagesView;

  beforeEach(() => {
    showDialog.mockReset();
    showDialog.mockImplementation(() => Promise.resolve({ button: { accept: true } }));
    host = document.createElement('div');
    document.body.appendChild(host);
    fake = new FakeClient();
    fake.images = [
      image('localhost/pytorch:latest'),
      image('docker.io/library/python:3.12', { tags: ['docker.io/library/python:3.12', 'localhost/py:3'], size: 45_600_000 })
    ];
    model = new ContainersModel({ client: fake, autoStart: false, events: null, pullInterval: 5 });
    model.imagesChanged.connect((_, images) => view.update(images));
    view = new ImagesView(host, {
      onPull: image => model.pullImage(image),
      onRemove: name => model.removeImage(name),
      now: () => NOW
    });
    // As the panel wires it: the model's pulls section says how a pull started here ended.
    model.pulls.ended.connect((_, end) => view.pullEnded(end));
  });

  afterEach(() => {
    model.dispose();
    host.remove();
  });

  it('shows one row per image name with its size and age', async () => {
    await model.refresh();
    expect(rows(host).map(row => row.dataset.name)).toEqual([
      'docker.io/library/python:3.12',
      'localhost/py:3',
      'localhost/pytorch:latest'
    ]);
    const row = view.rowNode('localhost/pytorch:latest')!;
    expect(row.querySelector('.lc-Name')!.textContent).toBe('localhost/pytorch:latest');
    expect(row.querySelector('.lc-Detail')!.textContent).toContain('1.23 GB · 3 days ago');
    expect(view.rowNode('localhost/py:3')!.textContent).toContain('45.6 MB');
  });

  it('says so when there is no image', () => {
    view.update([]);
    expect(host.querySelector('.lc-Empty')!.textContent).toContain('No images');
    expect(rows(host)).toHaveLength(0);
  });

  it('removes only after the user said OK, naming the image', async () => {
    await model.refresh();
    const remove = () => view.rowNode('localhost/pytorch:latest')!.querySelector<HTMLButtonElement>('button.lc-remove')!;

    showDialog.mockResolvedValueOnce({ button: { accept: false } });
    remove().click();
    await settle();
    expect(showDialog).toHaveBeenCalledTimes(1);
    expect(dialogText(0).title).toBe('Remove the image localhost/pytorch:latest?');
    expect(dialogText(0).text).toContain('1.23 GB');
    expect(fake.removeImage).not.toHaveBeenCalled();

    remove().click();
    await settle();
    await settle();
    expect(showDialog).toHaveBeenCalledTimes(2);
    expect(fake.removeImage).toHaveBeenCalledWith('localhost/pytorch:latest', false);
    expect(view.rowNode('localhost/pytorch:latest')).toBeUndefined(); // the refresh after it
  });

  it('shows the server\'s message when a container uses the image (409), and keeps the row', async () => {
    await model.refresh();
    fake.removeImage.mockImplementationOnce(() => Promise.reject(new ApiError(IN_USE, 'ImageInUse', 409)));
    view.rowNode('localhost/pytorch:latest')!.querySelector<HTMLButtonElement>('button.lc-remove')!.click();
    await settle();
    await settle();
    expect(showDialog).toHaveBeenCalledTimes(2); // the question, then the failure
    expect(dialogText(1).title).toBe('Could not remove localhost/pytorch:latest');
    expect(dialogText(1).text).toContain('is used by container train');
    const row = view.rowNode('localhost/pytorch:latest')!;
    expect(row.querySelector<HTMLButtonElement>('button.lc-remove')!.disabled).toBe(false);
  });

  it('pulls from the form and tells how the pull ended, from GET pulls', async () => {
    const image = '127.0.0.1:5100/lab/python:latest';
    fake.pulls = [pull(image, { fraction: 0.5 })]; // still running
    const input = host.querySelector<HTMLInputElement>('.lc-PullImage')!;
    const message = host.querySelector<HTMLElement>('.lc-PullMessage')!;
    input.value = `  ${image} `;
    host.querySelector<HTMLFormElement>('.lc-PullForm')!.dispatchEvent(new Event('submit', { cancelable: true }));
    await settle();
    expect(fake.pullImage).toHaveBeenCalledWith(image);
    expect(message.textContent).toBe(`Pulling ${image}…`);
    expect(input.value).toBe('');
    await wait(20);
    expect(message.textContent).toBe(`Pulling ${image}…`);

    fake.images = [...fake.images, { ...fake.images[0], id: 'sha256:new', tags: [image] }];
    fake.pulls = [];
    await wait(20);
    expect(message.textContent).toBe(`Pulled ${image}.`);
    expect(message.classList.contains('lc-ok')).toBe(true);
    expect(view.rowNode(image)).toBeDefined(); // the images are reloaded
  });

  it('shows a failed pull\'s message under the form', async () => {
    const missing = '127.0.0.1:5100/lab/nothing:1';
    const error = { kind: 'PullFailed', message: `Could not pull '${missing}': no such image in that registry.` };
    fake.pulls = [pull(missing, { error })];
    await view.pull(missing);
    await wait(20);
    const message = host.querySelector<HTMLElement>('.lc-PullMessage')!;
    expect(message.textContent).toBe(error.message);
    expect(message.classList.contains('lc-down')).toBe(true);
    expect(fake.listImages).not.toHaveBeenCalled();
  });

  it('shows why the server refused to start a pull', async () => {
    fake.pullImage.mockRejectedValueOnce(new ApiError('Field \'image\' must not be empty.', 'InvalidSpec', 400));
    await view.pull('x');
    const message = host.querySelector<HTMLElement>('.lc-PullMessage')!;
    expect(message.textContent).toBe('Field \'image\' must not be empty.');
    expect(message.classList.contains('lc-down')).toBe(true);
    expect(host.querySelector<HTMLButtonElement>('.lc-PullButton')!.disabled).toBe(false);
  });

  it('asks for a name instead of posting an empty one', async () => {
    await view.pull('   ');
    expect(fake.pullImage).not.toHaveBeenCalled();
    expect(host.querySelector('.lc-PullMessage')!.textContent).toContain('Type the image to pull');
  });
});

describe('client: images', () => {
  beforeEach(() => makeRequest.mockReset());

  function answer(status: number, body: unknown): unknown {
    const text = body === undefined ? '' : JSON.stringify(body);
    return { ok: status >= 200 && status < 300, status, statusText: '', text: () => Promise.resolve(text) };
  }

  it('posts a pull and deletes an image by its URL-encoded name', async () => {
    makeRequest.mockResolvedValue(answer(202, { pull: pull('localhost/x:1') }));
    expect((await client.pullImage('localhost/x:1')).image).toBe('localhost/x:1');
    let [url, init] = makeRequest.mock.lastCall as [string, RequestInit];
    expect(url).toBe('http://lab.test/base/labcontainer/api/images');
    expect(init.method).toBe('POST');
    expect(JSON.parse(init.body as string)).toEqual({ image: 'localhost/x:1' });

    makeRequest.mockResolvedValue(answer(204, undefined));
    await client.removeImage('localhost/x:1', true);
    [url, init] = makeRequest.mock.lastCall as [string, RequestInit];
    expect(url).toBe('http://lab.test/base/labcontainer/api/images/localhost%2Fx%3A1?force=1');
    expect(init.method).toBe('DELETE');
  });

  it('rejects with the server\'s kind and message on 409', async () => {
    makeRequest.mockResolvedValue(answer(409, { error: { kind: 'ImageInUse', message: IN_USE } }));
    await expect(client.removeImage('localhost/pytorch:latest')).rejects.toMatchObject({ kind: 'ImageInUse', status: 409, message: IN_USE });
  });
});
