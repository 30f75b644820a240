import { Signal } from '@lumino/signaling';

import { IKernelModelLike, watchKernelReasons } from '../src/kernelNotices';

describe('watchKernelReasons', () => {
  it('tells each new reason once, and nothing for kernels without one', () => {
    const owner = {};
    const running = new Signal<unknown, IKernelModelLike[]>(owner);
    const said: string[] = [];
    watchKernelReasons({ runningChanged: running }, message => said.push(message));

    running.emit([{ id: 'aaaaaaaa-1', name: 'lc-torch' }, { id: 'bbbbbbbb-2', name: 'python3', reason: '' }]);
    expect(said).toEqual([]);

    const reason = 'The kernel stopped: its container lc-kernel-aaaaaaaa-1 exited with code 3; last lines:\nbye';
    running.emit([{ id: 'aaaaaaaa-1', name: 'lc-torch', reason }]);
    running.emit([{ id: 'aaaaaaaa-1', name: 'lc-torch', reason }]); // the next poll: same reason, no repeat
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('exited with code 3');
    expect(said[0]).toContain('lc-torch (aaaaaaaa)');

    running.emit([{ id: 'aaaaaaaa-1', name: 'lc-torch', reason: 'The kernel stopped: its container ... was removed' }]);
    expect(said).toHaveLength(2);
  });
});
