/** A kernel's container is shown as the kernel of its notebook wherever it appears (#24 item 3). */
import { shownName } from '../src/containerKernel';
import { tabTitle } from '../src/terminal';
import { GpusView } from '../src/views/gpus';
import { container, gpu } from './fakes';

const KERNEL_ID = 'd0953ce8-be40-4d2a-9c55-0f1e2d3c4b5a';
const kernelContainer = container(`lc-kernel-${KERNEL_ID}`, {
  purpose: 'kernel',
  kernel: { id: KERNEL_ID, ours: true, notebook: 'projects/train.ipynb' }
});

describe('kernel containers are named for their notebook', () => {
  it('names a kernel container "kernel of NOTEBOOK", any other by its name', () => {
    expect(shownName(kernelContainer)).toBe('kernel of train.ipynb');
    expect(shownName(container('train'))).toBe('train');
    expect(shownName(container(`lc-kernel-${KERNEL_ID}`, { purpose: 'kernel', kernel: { id: KERNEL_ID, ours: false, notebook: null } }))).toBe(
      `lc-kernel-${KERNEL_ID}`
    );
  });

  it('titles a kernel container terminal tab for its notebook, the container name in the caption', () => {
    const title = tabTitle(kernelContainer.name, shownName(kernelContainer));
    expect(title.label).toBe('Terminal kernel of train.ipynb');
    expect(title.label).not.toContain('lc-kernel-');
    expect(title.caption).toContain(kernelContainer.name);
    expect(tabTitle('train')).toEqual({ label: 'Terminal train', caption: 'A terminal in the container train' });
  });

  it('shows the GPU holders as the server names them, a kernel process once', () => {
    const host = document.createElement('div');
    const view = new GpusView(host, document.createElement('p'));
    const process = {
      pid: 4242,
      used_memory: 2 ** 30,
      user: 'alice',
      container_id: kernelContainer.id,
      container_name: kernelContainer.name,
      holder: 'kernel of train.ipynb'
    };
    view.update({
      available: true,
      reason: null,
      driver_version: '550',
      gpus: [gpu(0, { containers: [kernelContainer.name], holders: ['kernel of train.ipynb'], processes: [process] })]
    });
    const usedBy = Array.from(host.querySelectorAll('.lc-Detail')).map(node => node.textContent ?? '');
    expect(usedBy).toContain('used by: kernel of train.ipynb');
    expect(host.textContent).not.toContain('lc-kernel-');
  });

  it('counts host processes by their user: on a shared server, whose they are is what matters', () => {
    const host = document.createElement('div');
    const view = new GpusView(host, document.createElement('p'));
    const hostProcess = (pid: number, user: string | null) => ({
      pid,
      used_memory: 2 ** 30,
      user,
      container_id: null,
      container_name: null,
      holder: null
    });
    view.update({
      available: true,
      reason: null,
      driver_version: '550',
      gpus: [
        gpu(0, {
          holders: ['train'],
          containers: ['train'],
          processes: [hostProcess(11, 'bob'), hostProcess(12, 'bob'), hostProcess(13, 'alice'), hostProcess(14, null)]
        })
      ]
    });
    const usedBy = Array.from(host.querySelectorAll('.lc-Detail')).map(node => node.textContent ?? '');
    expect(usedBy).toContain(
      'used by: train, 1 host process(es) of alice, 1 host process(es) of another user, 2 host process(es) of bob'
    );
  });
});
