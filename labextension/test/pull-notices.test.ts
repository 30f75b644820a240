import type { Pull } from '../src/generated/rest';
import { IPullNotices, KernelPullNotices } from '../src/pullNotices';

function recorder(): IPullNotices & { log: string[] } {
  let next = 0;
  const log: string[] = [];
  return {
    log,
    show: (message, progress) => {
      log.push(`show ${message} @${progress}`);
      return `n${++next}`;
    },
    update: (id, message, progress) => log.push(`update ${id} ${message} @${progress}`),
    dismiss: id => log.push(`dismiss ${id}`)
  };
}

function pull(fields: Partial<Pull>): Pull {
  return {
    image: 'registry.lab/torch:1',
    kernel_id: 'aaaaaaaa-1111',
    downloaded: 0,
    total: 0,
    fraction: null,
    message: '',
    elapsed: 1,
    ...fields
  };
}

describe('KernelPullNotices', () => {
  it('shows a kernel pull once, updates it in place, and dismisses it when it ends', () => {
    const notices = recorder();
    const watcher = new KernelPullNotices(notices);
    watcher.update([pull({})]);
    watcher.update([pull({ downloaded: 45e6, total: 100e6, fraction: 0.45 })]);
    watcher.update([]);
    expect(notices.log).toEqual([
      'show pulling registry.lab/torch:1 for kernel aaaaaaaa @undefined',
      'update n1 pulling registry.lab/torch:1 for kernel aaaaaaaa: 45 % (45.0 MB of 100.0 MB) @0.45',
      'dismiss n1'
    ]);
  });

  it('says nothing of pulls no kernel waits for', () => {
    const notices = recorder();
    new KernelPullNotices(notices).update([pull({ kernel_id: null })]);
    expect(notices.log).toEqual([]);
  });
});
