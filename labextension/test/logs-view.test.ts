import { Widget } from '@lumino/widgets';

import { ApiError } from '../src/errors';
import { LOG_LIMIT, LogBuffer, LogsModel } from '../src/logs';
import { LogsWidget } from '../src/views/logs';
import { FakeLogStream, settle } from './fakes';

function numbered(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);
}

describe('LogBuffer', () => {
  it('keeps the last `limit` lines and counts the dropped ones', () => {
    const buffer = new LogBuffer(5);
    expect(buffer.append(numbered(1, 3))).toBe(0);
    expect(buffer.append(numbered(4, 7))).toBe(2);
    expect(buffer.lines).toEqual(numbered(3, 7));
    expect(buffer.append(numbered(8, 20))).toBe(13); // 5 old lines and 8 new ones never kept
    expect(buffer.lines).toEqual(numbered(16, 20));
    expect(buffer.dropped).toBe(15);
    buffer.clear();
    expect(buffer.lines).toEqual([]);
    expect(buffer.dropped).toBe(0);
  });

  it('keeps 2000 lines by default', () => {
    const buffer = new LogBuffer();
    buffer.append(numbered(1, 5000));
    expect(LOG_LIMIT).toBe(2000);
    expect(buffer.lines).toHaveLength(2000);
    expect(buffer.lines[0]).toBe('line 3001');
  });
});

describe('LogsModel', () => {
  let stream: FakeLogStream;
  let model: LogsModel;

  beforeEach(() => {
    stream = new FakeLogStream();
    model = new LogsModel({ name: 'train', follow: stream.follow, limit: 4 });
  });

  afterEach(() => model.dispose());

  it('asks for as many lines as it keeps, then follows new ones', async () => {
    const done = model.follow();
    expect(stream.follow).toHaveBeenCalledTimes(1);
    expect(stream.current).toMatchObject({ name: 'train', tail: 4 });
    expect(model.state).toBe('following');
    stream.send('a', 'b');
    stream.send('c');
    expect(model.buffer.lines).toEqual(['a', 'b', 'c']);
    stream.send('d', 'e', 'f');
    expect(model.buffer.lines).toEqual(['c', 'd', 'e', 'f']);
    stream.end();
    await done;
    expect(model.state).toBe('ended');
    expect(model.isFollowing).toBe(false);
  });

  it('pause() aborts the stream, keeps what is shown, and ignores lines still in flight', () => {
    void model.follow();
    stream.send('a');
    const signal = stream.current.signal;
    model.pause();
    expect(signal.aborted).toBe(true);
    expect(model.state).toBe('paused');
    stream.current.onLines(['late']); // read before the abort reached the stream
    expect(model.buffer.lines).toEqual(['a']);
  });

  it('following again starts afresh from the tail, without the old lines', () => {
    void model.follow();
    stream.send('a', 'b');
    model.pause();
    void model.follow();
    expect(stream.follow).toHaveBeenCalledTimes(2);
    expect(model.buffer.lines).toEqual([]);
    stream.send('a', 'b', 'c');
    expect(model.buffer.lines).toEqual(['a', 'b', 'c']);
    void model.follow(); // already following: no second stream
    expect(stream.follow).toHaveBeenCalledTimes(2);
  });

  it('a failure keeps the lines read so far and the server’s message', async () => {
    const done = model.follow();
    stream.send('a');
    stream.fail(new ApiError('No container named or with id \'train\'.', 'ContainerNotFound', 200));
    await done;
    expect(model.state).toBe('failed');
    expect(model.error?.kind).toBe('ContainerNotFound');
    expect(model.buffer.lines).toEqual(['a']);
  });

  it('dispose() stops following for good', async () => {
    void model.follow();
    const signal = stream.current.signal;
    model.dispose();
    expect(signal.aborted).toBe(true);
    await model.follow();
    expect(stream.follow).toHaveBeenCalledTimes(1);
  });
});

describe('LogsWidget', () => {
  let stream: FakeLogStream;
  let widget: LogsWidget;

  function shownLines(): string[] {
    return Array.from(widget.node.querySelectorAll('.lc-LogLine'), node => node.textContent ?? '');
  }
  function followSwitch(): HTMLInputElement {
    return widget.node.querySelector<HTMLInputElement>('.lc-Follow')!;
  }
  function status(): string {
    return widget.node.querySelector('.lc-LogsStatus')?.textContent ?? '';
  }

  beforeEach(() => {
    stream = new FakeLogStream();
    widget = new LogsWidget(new LogsModel({ name: 'train', follow: stream.follow, limit: 5 }));
    Widget.attach(widget, document.body);
  });

  afterEach(() => {
    if (!widget.isDisposed) {
      widget.dispose();
    }
  });

  it('is one closable tab per container', () => {
    expect(widget.id).toBe(LogsWidget.idFor('train'));
    expect(widget.title.label).toBe('Logs: train');
    expect(widget.title.closable).toBe(true);
  });

  it('shows the followed lines, never more than the buffer keeps, dropping the oldest nodes in place', () => {
    void widget.model.follow();
    expect(followSwitch().checked).toBe(true);
    stream.send(...numbered(1, 3));
    const first = widget.node.querySelectorAll('.lc-LogLine')[2];
    stream.send(...numbered(4, 6));
    expect(shownLines()).toEqual(numbered(2, 6));
    expect(widget.node.querySelectorAll('.lc-LogLine')[1]).toBe(first); // 'line 3' kept its node
    expect(status()).toBe('Following train; the last 5 lines are kept (1 older lines dropped).');
    stream.send(...numbered(7, 30)); // more than the limit in one batch
    expect(shownLines()).toEqual(numbered(26, 30));
  });

  it('the Follow switch stops and restarts following', async () => {
    void widget.model.follow();
    stream.send('a');
    const first = stream.current.signal;
    followSwitch().checked = false;
    followSwitch().dispatchEvent(new Event('change'));
    expect(first.aborted).toBe(true);
    expect(shownLines()).toEqual(['a']);
    expect(status()).toContain('Not following');
    followSwitch().checked = true;
    followSwitch().dispatchEvent(new Event('change'));
    expect(stream.follow).toHaveBeenCalledTimes(2);
    expect(shownLines()).toEqual([]);
    stream.send('a', 'b');
    expect(shownLines()).toEqual(['a', 'b']);
    stream.end();
    await settle();
    expect(followSwitch().checked).toBe(false);
    expect(status()).toBe('train is not running: this is the end of its log.');
  });

  it('shows a failure whole, and closing the tab stops the stream', async () => {
    void widget.model.follow();
    const message = 'The Podman service stopped answering. Start it with `systemctl --user start podman.socket`.';
    stream.fail(new ApiError(message, 'ServiceUnavailable', 200));
    await settle();
    const error = widget.node.querySelector<HTMLElement>('.lc-LogsError')!;
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe(message);
    void widget.model.follow();
    const signal = stream.current.signal;
    expect(error.hidden).toBe(true);
    widget.close(); // the tab's close button
    expect(widget.isDisposed).toBe(true);
    expect(signal.aborted).toBe(true);
  });
});
