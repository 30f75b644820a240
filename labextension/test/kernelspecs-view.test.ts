import type { Kernelspec } from '../src/generated/rest';
import { KernelspecsView } from '../src/views/kernelspecs';

const spec = (name: string, pool: number): Kernelspec => ({
  name,
  display_name: name.toUpperCase(),
  image: 'localhost/pytorch:latest',
  gpus: '0',
  volumes: [],
  language: 'python',
  pool,
  connection: []
});

describe('KernelspecsView', () => {
  let host: HTMLElement;
  let onRemove: jest.Mock<void, [Kernelspec]>;
  let view: KernelspecsView;

  const row = (name: string): HTMLElement => host.querySelector<HTMLElement>(`.lc-Kernelspec[data-name="${name}"]`)!;

  beforeEach(() => {
    host = document.createElement('div');
    document.body.appendChild(host);
    onRemove = jest.fn<void, [Kernelspec]>();
    view = new KernelspecsView(host, { onRemove });
  });

  afterEach(() => host.remove());

  it('says how many kernels a kernelspec keeps ready, and nothing for one without a pool', () => {
    view.update([spec('lc-plain', 0), spec('lc-ready', 2)]);
    expect(row('lc-ready').querySelector('.lc-Pool')?.textContent).toBe('2 kept ready');
    expect(row('lc-plain').querySelector('.lc-Pool')).toBeNull();
    // Name first, the Remove button still last and still removing that kernelspec.
    expect(Array.from(row('lc-ready').children, child => child.textContent)).toEqual(['LC-READY', '2 kept ready', 'Remove']);
    row('lc-ready').querySelector<HTMLButtonElement>('.lc-RemoveKernelspec')!.click();
    expect(onRemove.mock.calls.map(call => call[0].name)).toEqual(['lc-ready']);
  });
});
