/**
 * Several servers in the side panel: one section per server (the default open, the others
 * closed and not asked until opened), each row acting on its own server, and the kernel
 * form's *Server* select. With one server the panel is as it always was.
 */
const showDialog = jest.fn((_options: unknown) => Promise.resolve({ button: { accept: true } }));

jest.mock('@jupyterlab/apputils', () => ({
  showDialog: (options: unknown) => showDialog(options),
  Dialog: {
    okButton: () => ({ label: 'Ok' }),
    cancelButton: () => ({ label: 'Cancel' }),
    warnButton: (options: { label: string }) => options
  }
}));

jest.mock('@jupyterlab/services', () => ({
  ServerConnection: { makeSettings: () => ({ baseUrl: 'http://lab.test/base/' }), makeRequest: jest.fn() }
}));

import type { Connection, ConnectionsAnswer } from '../src/generated/rest';
import { ContainersModel } from '../src/model';
import { ContainersPanel } from '../src/panel';
import { boundClient, SERVER_SECTIONS } from '../src/servers';
import { container, FakeClient, settle } from './fakes';

const LOCAL: Connection = { name: 'local', uri: 'unix:///run/user/1000/podman/podman.sock', default: true, state: 'reachable' };
const GPU2: Connection = { name: 'gpu2', uri: 'ssh://alice@127.0.0.1:2222/run/user/1001/podman/podman.sock', default: false, state: 'reachable' };
const GPU3: Connection = {
  name: 'gpu3',
  uri: 'ssh://alice@10.0.0.3/run/user/1001/podman/podman.sock',
  default: false,
  state: 'unreachable since 12:03: no answer within 10 s'
};

/** The panel's direct children, as class names (the one-server layout of before). */
const ONE_SERVER_LAYOUT = [
  'lc-Header',
  'lc-Status lc-ok',
  'lc-Error',
  'lc-Pulls',
  'lc-Filter',
  'lc-Containers',
  'H3',
  'lc-Gpus',
  'H3',
  'lc-Images',
  'H3',
  'lc-KernelForm',
  'H3',
  'lc-Kernelspecs'
];

describe('the side panel with several servers', () => {
  let fakes: Record<string, FakeClient>;
  let made: string[];
  let logs: [string, string | undefined][];
  let terminals: [string, string | undefined][];
  let servers: ConnectionsAnswer;
  let mainConnection: string | undefined;
  let panel: ContainersPanel;

  const layout = (): string[] => Array.from(panel.node.children, node => (node as HTMLElement).className || node.tagName);
  const section = (name: string): HTMLElement => panel.node.querySelector<HTMLElement>(`.lc-Server[data-connection='${name}']`)!;
  const header = (name: string): HTMLButtonElement => section(name).querySelector<HTMLButtonElement>('.lc-ServerHeader')!;
  const body = (name: string): HTMLElement => section(name).querySelector<HTMLElement>('.lc-ServerBody')!;
  const button = (name: string, row: string, action: string): HTMLButtonElement =>
    body(name).querySelector<HTMLButtonElement>(`.lc-Row[data-name='${row}'] button[data-action='${action}']`)!;
  const select = (): HTMLSelectElement => panel.node.querySelector<HTMLSelectElement>('.lc-ServerSelect')!;

  async function open(answer: ConnectionsAnswer): Promise<void> {
    servers = answer;
    const model = new ContainersModel({ client: boundClient(fakes.local, () => mainConnection), autoStart: false, events: null });
    panel = new ContainersPanel(model, {
      onShowLogs: (name, connection) => logs.push([name, connection]),
      onOpenTerminal: (name, connection) => terminals.push([name, connection]),
      listConnections: () => Promise.resolve(JSON.parse(JSON.stringify(servers)) as ConnectionsAnswer),
      onServers: answer => {
        mainConnection = answer.default;
      },
      serverModel: name => {
        made.push(name);
        return new ContainersModel({
          client: boundClient(fakes[name], () => name),
          autoStart: false,
          events: null,
          sections: SERVER_SECTIONS
        });
      }
    });
    await model.refresh();
    await settle();
  }

  beforeEach(() => {
    fakes = { local: new FakeClient(), gpu2: new FakeClient(), gpu3: new FakeClient() };
    fakes.gpu2.containers = [container('train2'), container('old2', { state: 'exited', pid: null })];
    fakes.gpu2.images = [
      { id: 'sha256:2', short_id: '2', name: 'localhost/jax:latest', tags: ['localhost/jax:latest'], size: 1, created: null }
    ];
    fakes.gpu3.getStatus.mockImplementation(() =>
      Promise.resolve({ ...fakes.gpu3.status, connected: false, message: 'gpu3 did not answer within 10 s.' })
    );
    made = [];
    logs = [];
    terminals = [];
    mainConnection = undefined;
  });

  afterEach(() => panel.dispose());

  it('with one server looks as it always did, and its requests name no server', async () => {
    await open({ connections: [LOCAL], default: 'local' });
    expect(layout()).toEqual(ONE_SERVER_LAYOUT);
    expect(panel.servers).toBeNull();
    expect(panel.node.querySelector('.lc-Server')).toBeNull();
    expect(panel.node.querySelectorAll(".lc-Containers .lc-Row[data-name='train']")).toHaveLength(1);
    expect(select().closest('label')!.hidden).toBe(true);
    expect(fakes.local.listContainers.mock.lastCall).toEqual(['mine', undefined]);
    expect(made).toEqual([]);
  });

  it('shows one section per server: the default open, the others closed and not asked', async () => {
    await open({ connections: [LOCAL, GPU2, GPU3], default: 'local' });
    const sections = Array.from(panel.node.querySelectorAll<HTMLElement>('.lc-Server'), node => node.dataset.connection);
    expect(sections).toEqual(['local', 'gpu2', 'gpu3']);
    // The one-server parts are gone: each server's containers, GPUs and images are in its section.
    expect(panel.node.querySelectorAll(':scope > .lc-Containers, :scope > .lc-Gpus, :scope > .lc-Images')).toHaveLength(0);
    expect(header('local').getAttribute('aria-expanded')).toBe('true');
    expect(body('local').hidden).toBe(false);
    await panel.model.refresh();
    expect(body('local').querySelector(".lc-Row[data-name='train']")).not.toBeNull();
    expect(header('gpu2').getAttribute('aria-expanded')).toBe('false');
    expect(body('gpu2').hidden).toBe(true);
    expect(body('gpu2').children).toHaveLength(0);
    expect(made).toEqual([]);
    expect(fakes.gpu2.getStatus).not.toHaveBeenCalled();
    expect(fakes.gpu2.listContainers).not.toHaveBeenCalled();
    // The main model now names the default server in each request.
    expect(fakes.local.listContainers.mock.lastCall).toEqual(['mine', 'local']);
  });

  it('says in words that a server is unreachable, from its state', async () => {
    await open({ connections: [LOCAL, GPU2, GPU3], default: 'local' });
    expect(section('gpu3').className).toContain('lc-unreachable');
    expect(header('gpu3').textContent).toContain('unreachable');
    expect(header('gpu3').title).toContain('unreachable since 12:03: no answer within 10 s');
    header('gpu3').click();
    await settle();
    const down = section('gpu3').querySelector<HTMLElement>('.lc-ServerDown')!;
    expect(down.hidden).toBe(false);
    expect(down.textContent).toBe('gpu3 is unreachable since 12:03: no answer within 10 s.');
    expect(body('gpu3').querySelector('.lc-Status')!.textContent).toBe('Podman is not reachable. gpu3 did not answer within 10 s.');
  });

  it('fetches a section when it is opened, and its rows act on their own server', async () => {
    await open({ connections: [LOCAL, GPU2, GPU3], default: 'local' });
    header('gpu2').click();
    await settle();
    expect(made).toEqual(['gpu2']);
    expect(header('gpu2').getAttribute('aria-expanded')).toBe('true');
    expect(fakes.gpu2.listContainers.mock.lastCall).toEqual(['mine', 'gpu2']);
    expect(fakes.gpu3.getStatus).not.toHaveBeenCalled();

    button('gpu2', 'train2', 'stop').click();
    await settle();
    expect(fakes.gpu2.containerAction).toHaveBeenCalledWith('train2', 'stop', 'gpu2');
    expect(fakes.local.containerAction).not.toHaveBeenCalled();
    button('gpu2', 'old2', 'start').click();
    await settle();
    expect(fakes.gpu2.containerAction).toHaveBeenLastCalledWith('old2', 'start', 'gpu2');

    button('gpu2', 'train2', 'remove').click(); // stopped above
    await settle();
    await settle();
    const asked = showDialog.mock.lastCall![0] as { title: string; body: { node: HTMLElement } };
    expect(asked.title).toBe('Remove train2?');
    expect(asked.body.node.textContent).toContain('The container train2 (localhost/pytorch:latest) on gpu2');
    expect(fakes.gpu2.removeContainer).toHaveBeenCalledWith('train2', false, 'gpu2');
    expect(fakes.local.removeContainer).not.toHaveBeenCalled();

    button('gpu2', 'old2', 'logs').click();
    button('local', 'train', 'logs').click();
    expect(logs).toEqual([
      ['old2', 'gpu2'],
      ['train', 'local']
    ]);
  });

  it('opens another server’s container’s terminal on that server', async () => {
    await open({ connections: [LOCAL, GPU2], default: 'local' });
    header('gpu2').click();
    await settle();
    const remote = button('gpu2', 'train2', 'terminal');
    expect(remote.disabled).toBe(false);
    remote.click();
    await panel.model.refresh();
    button('local', 'train', 'terminal').click();
    expect(terminals).toEqual([
      ['train2', 'gpu2'],
      ['train', 'local']
    ]);
  });

  it('keeps a section’s data when closed and reopened, and only open sections refresh', async () => {
    await open({ connections: [LOCAL, GPU2, GPU3], default: 'local' });
    header('gpu2').click();
    await settle();
    header('gpu2').click();
    expect(body('gpu2').hidden).toBe(true);
    const asked = fakes.gpu2.listContainers.mock.calls.length;
    await panel.refresh();
    expect(fakes.gpu2.listContainers.mock.calls.length).toBe(asked);
    header('gpu2').click();
    await settle();
    expect(made).toEqual(['gpu2']);
    expect(fakes.gpu2.listContainers.mock.calls.length).toBe(asked + 1);
    expect(fakes.gpu3.listContainers).not.toHaveBeenCalled();
  });
});

describe('the kernel form’s Server select', () => {
  let fakes: Record<string, FakeClient>;
  let panel: ContainersPanel;
  const select = (): HTMLSelectElement => panel.node.querySelector<HTMLSelectElement>('.lc-ServerSelect')!;
  const imageChoices = (): string[] => Array.from(panel.node.querySelectorAll<HTMLOptionElement>('.lc-Image option'), option => option.value);

  beforeEach(async () => {
    fakes = { local: new FakeClient(), gpu2: new FakeClient() };
    fakes.gpu2.images = [
      { id: 'sha256:2', short_id: '2', name: 'localhost/jax:latest', tags: ['localhost/jax:latest'], size: 1, created: null }
    ];
    const model = new ContainersModel({ client: fakes.local, autoStart: false, events: null });
    panel = new ContainersPanel(model, {
      listConnections: () => Promise.resolve({ connections: [LOCAL, GPU2, GPU3], default: 'local' }),
      serverModel: name => new ContainersModel({ client: boundClient(fakes[name], () => name), autoStart: false, events: null })
    });
    await model.refresh();
    await settle();
  });

  afterEach(() => panel.dispose());

  it('lists the servers, this machine (the default) chosen, and sends no connection for it', () => {
    expect(select().closest('label')!.hidden).toBe(false);
    expect(Array.from(select().options, option => [option.value, option.textContent])).toEqual([
      ['local', 'this machine (local)'],
      ['gpu2', 'gpu2'],
      ['gpu3', 'gpu3 (unreachable)']
    ]);
    expect(select().value).toBe('local');
    expect(panel.form.body()?.connection).toBeUndefined();
  });

  it('sends the chosen server as `connection` in POST kernelspecs, and offers its images', async () => {
    select().value = 'gpu2';
    select().dispatchEvent(new Event('change'));
    await settle();
    expect(imageChoices()).toEqual(['localhost/jax:latest']);
    await panel.form.submit();
    expect(fakes.local.createKernelspec).toHaveBeenCalledTimes(1);
    expect(fakes.local.createKernelspec.mock.calls[0][0]).toEqual({ image: 'localhost/jax:latest', connection: 'gpu2' });
    expect(fakes.gpu2.createKernelspec).not.toHaveBeenCalled();
    // The new kernelspec's row says where its kernels run.
    expect(panel.node.querySelector('.lc-Kernelspec[data-name="lc-new"] .lc-KernelServer')?.textContent).toBe('on gpu2');
  });
});
