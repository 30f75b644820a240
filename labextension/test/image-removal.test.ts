/** Removing an image name in the side panel (#24 item 7): a plain question first; then, when
 * only the name went (Podman untags without a word), why the image stays; the cards refresh. */
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
import type { Image, ImageRemoved } from '../src/generated/rest';
import { ContainersModel } from '../src/model';
import { ImagesView, removalNote } from '../src/views/images';
import { FakeClient, settle } from './fakes';

function image(name: string, overrides: Partial<Image> = {}): Image {
  return {
    id: 'sha256:' + 'a'.repeat(64),
    short_id: 'a'.repeat(12),
    name,
    tags: [name],
    size: 1_234_000_000,
    created: '2024-05-07T12:00:00Z',
    ...overrides
  };
}

function dialogText(call: number): { title: string; text: string } {
  const options = showDialog.mock.calls[call][0] as { title: string; body: Widget };
  return { title: options.title, text: options.body.node.textContent ?? '' };
}

const STAYS: ImageRemoved = {
  image: 'localhost/pytorch:v2',
  untagged: ['localhost/pytorch:v2'],
  deleted: [],
  other_names: [],
  used_by: ['lc-kernel-d0953ce8', 'train']
};

describe('removing an image name in the side panel', () => {
  let host: HTMLElement;
  let fake: FakeClient;
  let model: ContainersModel;
  let view: ImagesView;

  beforeEach(() => {
    showDialog.mockClear();
    host = document.createElement('div');
    document.body.appendChild(host);
    fake = new FakeClient();
    fake.images = [image('localhost/pytorch:latest', { tags: ['localhost/pytorch:latest', 'localhost/pytorch:v2'] })];
    model = new ContainersModel({ client: fake, autoStart: false, events: null, pullInterval: 5 });
    model.imagesChanged.connect((_, images) => view.update(images));
    view = new ImagesView(host, {
      onPull: name => model.pullImage(name),
      onRemove: name => model.removeImage(name),
      containerShown: name => (name.startsWith('lc-kernel-') ? 'kernel of train.ipynb' : name)
    });
  });

  afterEach(() => {
    model.dispose();
    host.remove();
  });

  it('asks plainly: the name goes, the image too unless named otherwise or used, never a container', async () => {
    await model.refresh();
    showDialog.mockResolvedValueOnce({ button: { accept: false } });
    view.rowNode('localhost/pytorch:v2')!.querySelector<HTMLButtonElement>('button.lc-remove')!.click();
    await settle();
    const { text } = dialogText(0);
    expect(text).not.toContain('then nothing is');
    expect(text).toContain('The name localhost/pytorch:v2 comes off this machine.');
    expect(text).toContain('unless it has other names or a container uses it');
    expect(text).toContain('No container is ever removed.');
  });

  it('says the image stays because containers use it, naming a kernel for its notebook, and refreshes the cards', async () => {
    await model.refresh();
    fake.removeImage.mockImplementationOnce((name: string) => {
      fake.images = [image('localhost/pytorch:latest')];
      return Promise.resolve({ ...STAYS, image: name });
    });
    const listed = fake.listImages.mock.calls.length;
    view.rowNode('localhost/pytorch:v2')!.querySelector<HTMLButtonElement>('button.lc-remove')!.click();
    await settle();
    await settle();
    const note = host.querySelector('.lc-PullMessage')!;
    expect(note.textContent).toBe(
      'Removed the name localhost/pytorch:v2. The image itself stays: the containers kernel of train.ipynb, train use it.'
    );
    expect(fake.listImages.mock.calls.length).toBeGreaterThan(listed); // the cards were asked for again
    expect(view.rowNode('localhost/pytorch:v2')).toBeUndefined();
    expect(view.rowNode('localhost/pytorch:latest')).toBeDefined();
  });

  it('words every outcome', () => {
    expect(removalNote({ ...STAYS, used_by: [], deleted: ['sha256:abc'] })).toBe('Removed localhost/pytorch:v2 and its image.');
    expect(removalNote({ ...STAYS, used_by: ['train'] })).toBe(
      'Removed the name localhost/pytorch:v2. The image itself stays: the container train uses it.'
    );
    expect(removalNote({ ...STAYS, used_by: [], other_names: ['localhost/pytorch:latest'] })).toBe(
      'Removed the name localhost/pytorch:v2. The image itself stays: it is still named localhost/pytorch:latest.'
    );
  });

  it('reads the server\'s answer, and a 204 from an older server as nothing to say', async () => {
    const answer = (status: number, body: unknown) => ({
      ok: true,
      status,
      statusText: '',
      text: () => Promise.resolve(body === undefined ? '' : JSON.stringify(body))
    });
    makeRequest.mockResolvedValueOnce(answer(200, { removed: STAYS }));
    expect(await client.removeImage('localhost/pytorch:v2')).toEqual(STAYS);
    makeRequest.mockResolvedValueOnce(answer(204, undefined));
    expect(await client.removeImage('localhost/pytorch:v2')).toBeNull();
  });
});
