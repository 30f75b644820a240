import { containerOfKernel, kernelOf } from '../src/containerKernel';
import { container } from './fakes';

describe('which kernel a container serves', () => {
  const served = container('lc-kernel-1a2b', {
    purpose: 'kernel',
    kernel: { id: '1a2b-3c4d', ours: true, notebook: 'work/train.ipynb' }
  });
  // A taken pool member keeps a name that says nothing of its kernel: only the server's
  // `kernel` object does.
  const renamed = container('lc-pool-77', {
    purpose: 'kernel',
    kernel: { id: '5e6f-7a8b', ours: true, notebook: null }
  });
  // Named like a kernel's container, but the server says it serves none.
  const lookalike = container('lc-kernel-9999', { purpose: 'container' });

  it('is what the server says on the row, never read from its name', () => {
    expect(kernelOf(served)).toEqual({ id: '1a2b-3c4d', ours: true, notebook: 'work/train.ipynb' });
    expect(kernelOf(lookalike)).toBeNull();
  });

  it('finds the container of a kernel by the kernel id on each row', () => {
    const containers = [lookalike, served, renamed];
    expect(containerOfKernel(containers, '5e6f-7a8b')?.name).toBe('lc-pool-77');
    expect(containerOfKernel(containers, '1a2b-3c4d')?.name).toBe('lc-kernel-1a2b');
    expect(containerOfKernel(containers, '9999')).toBeUndefined();
  });
});
