import type { Container } from '../src/generated/rest';
import { ContainersModel } from '../src/model';
import { ContainersView, kernelQuestion, RowAction } from '../src/views/containers';
import { container, copy, FakeClient } from './fakes';

/** Record every DOM mutation under a node while `change` runs. */
function mutationsDuring(node: Node, change: () => void): MutationRecord[] {
  const observer = new MutationObserver(() => undefined);
  observer.observe(node, { subtree: true, childList: true, attributes: true, characterData: true });
  change();
  const records = observer.takeRecords();
  observer.disconnect();
  return records;
}

function rows(host: HTMLElement): HTMLElement[] {
  return Array.from(host.querySelectorAll<HTMLElement>('.lc-Row'));
}

function button(row: HTMLElement, action: RowAction): HTMLButtonElement {
  const found = row.querySelector<HTMLButtonElement>(`button[data-action='${action}']`);
  if (!found) {
    throw new Error(`no ${action} button`);
  }
  return found;
}

describe('ContainersView', () => {
  let host: HTMLElement;
  let actions: [string, RowAction][];
  let view: ContainersView;
  let data: Container[];

  beforeEach(() => {
    host = document.createElement('div');
    host.className = 'lc-Containers';
    document.body.appendChild(host);
    actions = [];
    view = new ContainersView(host, { onAction: (name, action) => actions.push([name, action]) });
    data = [
      container('train'),
      container('notebook', { state: 'exited', pid: null, status: 'Exited (0) 1 minute ago' }),
      container('kernel-1', { purpose: 'kernel', gpus: [] })
    ];
    view.update(copy(data));
  });

  afterEach(() => host.remove());

  it('draws one row per container, keyed by name, with the panel test’s hooks', () => {
    expect(rows(host).map(row => row.dataset.name)).toEqual(['train', 'notebook', 'kernel-1']);
    const train = host.querySelector<HTMLElement>(".lc-Row[data-name='train']");
    expect(train).not.toBeNull();
    expect(train?.className).toBe('lc-Row lc-state-running');
    expect(button(train!, 'stop').disabled).toBe(false);
    expect(button(train!, 'start').disabled).toBe(true);
    const notebook = view.rowNode('notebook')!;
    expect(button(notebook, 'start').disabled).toBe(false);
    expect(button(notebook, 'remove').disabled).toBe(false);
    expect(notebook.textContent).toContain('Exited (0) 1 minute ago · GPU 0');
  });

  it('an identical refresh keeps the same row nodes and mutates nothing', () => {
    const before = rows(host);
    const records = mutationsDuring(host, () => view.update(copy(data)));
    expect(records).toHaveLength(0);
    expect(rows(host)).toEqual(before);
    rows(host).forEach((row, index) => expect(row).toBe(before[index]));
  });

  it('an identical refresh through the model mutates nothing', async () => {
    const client = new FakeClient();
    const model = new ContainersModel({ client, autoStart: false });
    model.containersChanged.connect((_, containers) => view.update(containers));
    await model.refresh();
    const before = rows(host);
    const observer = new MutationObserver(() => undefined);
    observer.observe(host, { subtree: true, childList: true, attributes: true, characterData: true });
    await model.refresh();
    expect(observer.takeRecords()).toHaveLength(0);
    observer.disconnect();
    rows(host).forEach((row, index) => expect(row).toBe(before[index]));
    model.dispose();
  });

  it('a state change updates only that row, in place', () => {
    const before = rows(host);
    const next = copy(data);
    next[0] = { ...next[0], state: 'exited', status: 'Exited (137) 1 second ago', pid: null, exit_code: 137 };
    const records = mutationsDuring(host, () => view.update(next));
    expect(records.length).toBeGreaterThan(0);
    const train = before[0];
    for (const record of records) {
      expect(train.contains(record.target)).toBe(true);
      expect(record.type).not.toBe('childList');
    }
    rows(host).forEach((row, index) => expect(row).toBe(before[index]));
    expect(train.className).toBe('lc-Row lc-state-exited');
    expect(button(train, 'start').disabled).toBe(false);
    expect(button(train, 'stop').disabled).toBe(true);
  });

  it('adds, removes and reorders rows without recreating the others', () => {
    const [train, notebook] = rows(host);
    view.update([copy(data[1]), container('new'), copy(data[0])]);
    expect(rows(host).map(row => row.dataset.name)).toEqual(['notebook', 'new', 'train']);
    expect(view.rowNode('notebook')).toBe(notebook);
    expect(view.rowNode('train')).toBe(train);
    expect(view.rowNode('kernel-1')).toBeUndefined();
  });

  it('shows a hint when there are no containers, and drops it again', () => {
    view.update([]);
    expect(host.querySelector('.lc-Empty')).not.toBeNull();
    expect(rows(host)).toHaveLength(0);
    view.update([container('train')]);
    expect(host.querySelector('.lc-Empty')).toBeNull();
    expect(rows(host)).toHaveLength(1);
  });

  it('reports clicks on enabled buttons only, with the row’s current name', () => {
    const train = view.rowNode('train')!;
    button(train, 'stop').click();
    button(train, 'start').click(); // disabled while running
    expect(actions).toEqual([['train', 'stop']]);
  });

  it('disables a busy row’s buttons until the action ends', () => {
    const train = view.rowNode('train')!;
    view.setBusy('train', true);
    expect(train.classList.contains('lc-busy')).toBe(true);
    expect(button(train, 'stop').disabled).toBe(true);
    view.setBusy('train', false);
    expect(train.classList.contains('lc-busy')).toBe(false);
    expect(button(train, 'stop').disabled).toBe(false);
  });

  it('has a Logs button on every row, running or not, even while busy', () => {
    for (const name of ['train', 'notebook']) {
      const logs = button(view.rowNode(name)!, 'logs');
      expect(logs.textContent).toBe('Logs');
      expect(logs.disabled).toBe(false);
      expect(logs.title).toBe(`Show the log of ${name}`);
    }
    view.setBusy('train', true);
    button(view.rowNode('train')!, 'logs').click();
    button(view.rowNode('notebook')!, 'logs').click();
    expect(actions).toEqual([['train', 'logs'], ['notebook', 'logs']]);
  });

  it('has a Terminal button usable on running containers only, even while busy', () => {
    const terminal = button(view.rowNode('train')!, 'terminal');
    expect(terminal.textContent).toBe('Terminal');
    expect(terminal.disabled).toBe(false);
    expect(terminal.title).toBe('Open a terminal (a new shell) in train');
    const stopped = button(view.rowNode('notebook')!, 'terminal');
    expect(stopped.disabled).toBe(true);
    expect(stopped.title).toBe('Terminal is not possible while the container is exited');
    view.setBusy('train', true);
    terminal.click();
    stopped.click();
    expect(actions).toEqual([['train', 'terminal']]);
  });
});

describe('container kernels in the list', () => {
  const kernel = container('lc-kernel-1234', {
    purpose: 'kernel',
    kernel: { id: '1234', ours: true, notebook: 'projects/train.ipynb' }
  });

  it('says which notebook a kernel container serves', () => {
    const host = document.createElement('div');
    const view = new ContainersView(host, { onAction: () => undefined });
    view.update([kernel, container('web')]);
    const [first, second] = Array.from(host.querySelectorAll('.lc-Row'));
    expect(first.textContent).toContain('kernel of train.ipynb');
    expect(second.textContent).not.toContain('kernel');
  });

  it('asks before Stop and Restart of a kernel container, naming the notebook', () => {
    const stop = kernelQuestion(kernel, 'stop');
    expect(stop?.title).toBe('Stop the kernel of train.ipynb?');
    expect(stop?.text).toContain('variables are lost');
    expect(kernelQuestion(kernel, 'restart')?.label).toBe('Restart');
    expect(kernelQuestion(kernel, 'logs')).toBeNull();
    expect(kernelQuestion(container('web'), 'stop')).toBeNull();
    const unknown = container('lc-kernel-9', { purpose: 'kernel' });
    expect(kernelQuestion(unknown, 'stop')?.title).toBe('Stop a container kernel?');
  });
});
