import { Signal } from '@lumino/signaling';

import { type IStartsListener, watchKernelStarts } from '../src/kernelStarts';
import { attachPulls, pullLine, PullsView } from '../src/views/pulls';
import { pull } from './fakes';

describe('pullLine', () => {
  it('names the image, the kernel and how far the pull is', () => {
    expect(pullLine(pull())).toBe('pulling 127.0.0.1:5100/lab/torch:2 for kernel 1a2b3c4d: 45 % (15.1 MB of 33.6 MB)');
    expect(pullLine(pull({ kernel_id: null, fraction: null, total: 0, downloaded: 0 }))).toBe(
      'pulling 127.0.0.1:5100/lab/torch:2'
    );
  });
});

describe('PullsView', () => {
  it('shows a row per pull, updates it in place, and hides when no pull runs', () => {
    const host = document.createElement('div');
    const view = new PullsView(host);
    expect(host.hidden).toBe(true);
    view.update([pull()]);
    const row = host.querySelector<HTMLElement>('.lc-Pull')!;
    expect(host.hidden).toBe(false);
    expect(row.textContent).toContain('for kernel 1a2b3c4d: 45 %');
    expect(row.querySelector('progress')!.value).toBeCloseTo(0.45);
    view.update([pull({ fraction: 0.9, downloaded: 30_240_000 })]);
    expect(host.querySelector('.lc-Pull')).toBe(row); // the same row
    expect(row.textContent).toContain(': 90 %');
    view.update([]);
    expect(host.querySelectorAll('.lc-Pull')).toHaveLength(0);
    expect(host.hidden).toBe(true);
  });
});

describe('watchKernelStarts', () => {
  it('follows the session context of the current notebook', () => {
    const owner = {};
    const currentChanged = new Signal<unknown, { newValue: unknown }>(owner);
    const statusChanged = new Signal<unknown, string>(owner);
    const calls: [object, boolean][] = [];
    const watcher: IStartsListener = { starting: (kernel: object, on: boolean) => void calls.push([kernel, on]) };
    watchKernelStarts({ currentChanged }, watcher);
    const sessionContext = { statusChanged, kernelDisplayStatus: 'initializing' };
    currentChanged.emit({ newValue: { sessionContext } });
    currentChanged.emit({ newValue: { sessionContext } }); // followed once
    statusChanged.emit('starting');
    statusChanged.emit('idle');
    expect(calls).toEqual([
      [sessionContext, true],
      [sessionContext, true],
      [sessionContext, false]
    ]);
  });
});

describe('attachPulls', () => {
  it('puts the pulls section right after the error box', () => {
    const panel = document.createElement('div');
    const error = document.createElement('div');
    panel.append(error, document.createElement('p'));
    const view = attachPulls(error);
    expect(error.nextElementSibling?.className).toBe('lc-Pulls');
    expect(view.host.hidden).toBe(true);
  });
});
