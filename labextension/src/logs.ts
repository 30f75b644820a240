/**
 * A container's log as the Logs view shows it, without any DOM: the last `limit` lines
 * (older ones are dropped, so a chatty container never floods the browser), followed
 * through the REST stream while "Follow" is on, and never followed after dispose().
 */
import { ISignal, Signal } from '@lumino/signaling';

import type { FollowEnd, IFollowOptions } from './client';
import { ApiError, toApiError } from './errors';

/** Lines kept by default: enough to scroll back through, small enough to redraw at once. */
export const LOG_LIMIT = 2000;

/** The last `limit` lines of a log. */
export class LogBuffer {
  constructor(readonly limit = LOG_LIMIT) {}

  get lines(): readonly string[] {
    return this._lines;
  }

  /** Lines dropped from the front since the last clear(). */
  get dropped(): number {
    return this._dropped;
  }

  /** Add lines at the end; answers how many lines it dropped from the front (old ones
   * first, then new ones beyond the limit). */
  append(lines: readonly string[]): number {
    const kept = lines.length > this.limit ? lines.slice(lines.length - this.limit) : lines;
    const excess = this._lines.length + kept.length - this.limit;
    const dropped = Math.max(excess, 0) + (lines.length - kept.length);
    if (excess > 0) {
      this._lines.splice(0, excess);
    }
    for (const line of kept) {
      this._lines.push(line);
    }
    this._dropped += dropped;
    return dropped;
  }

  clear(): void {
    this._lines = [];
    this._dropped = 0;
  }

  private _lines: string[] = [];
  private _dropped = 0;
}

/** client.followLogs, or a fake in tests. */
export type FollowLogs = (name: string, options: IFollowOptions) => Promise<FollowEnd>;

/** What the view says about the log. */
export type LogsState = 'following' | 'paused' | 'ended' | 'failed';

/** Lines that arrived, and how many old lines the buffer dropped to make room. */
export interface ILinesAdded {
  added: readonly string[];
  dropped: number;
}

export namespace LogsModel {
  export interface IOptions {
    /** The container's name. */
    name: string;
    follow: FollowLogs;
    /** Lines kept (and asked for when following starts); LOG_LIMIT by default. */
    limit?: number;
  }
}

export class LogsModel {
  constructor(options: LogsModel.IOptions) {
    this.name = options.name;
    this._follow = options.follow;
    this.buffer = new LogBuffer(options.limit ?? LOG_LIMIT);
  }

  readonly name: string;
  readonly buffer: LogBuffer;

  /** Emitted after lines were added to the buffer. */
  get linesAdded(): ISignal<LogsModel, ILinesAdded> {
    return this._linesAdded;
  }
  /** Emitted after the buffer was emptied (following starts afresh). */
  get cleared(): ISignal<LogsModel, void> {
    return this._cleared;
  }
  get stateChanged(): ISignal<LogsModel, LogsState> {
    return this._stateChanged;
  }

  get state(): LogsState {
    return this._state;
  }
  /** Why following failed, when state is 'failed'. */
  get error(): ApiError | null {
    return this._error;
  }
  get isFollowing(): boolean {
    return this._controller !== null;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Show the last `limit` lines afresh and follow new ones until the container stops,
   * pause() or dispose(). Does nothing while already following.
   */
  async follow(): Promise<void> {
    if (this._disposed || this._controller) {
      return;
    }
    const controller = new AbortController();
    this._controller = controller;
    this.buffer.clear();
    this._cleared.emit();
    this._setState('following', null);
    const onLines = (lines: string[]) => {
      // A stream that was stopped may still deliver what it had read: not shown.
      if (!controller.signal.aborted && lines.length > 0) {
        const dropped = this.buffer.append(lines);
        this._linesAdded.emit({ added: lines, dropped });
      }
    };
    let end: FollowEnd | ApiError;
    try {
      end = await this._follow(this.name, { tail: this.buffer.limit, signal: controller.signal, onLines });
    } catch (error) {
      end = toApiError(error);
    }
    if (this._controller !== controller) {
      return; // paused or disposed meanwhile; that call set the state
    }
    this._controller = null;
    if (end instanceof ApiError) {
      this._setState('failed', end);
    } else {
      this._setState(end === 'ended' ? 'ended' : 'paused', null);
    }
  }

  /** Stop following; what is shown stays. */
  pause(): void {
    if (this._stop()) {
      this._setState('paused', null);
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._stop();
    Signal.clearData(this);
  }

  /** Abort the running stream, if any; answers whether there was one. */
  private _stop(): boolean {
    const controller = this._controller;
    if (!controller) {
      return false;
    }
    this._controller = null;
    controller.abort();
    return true;
  }

  private _setState(state: LogsState, error: ApiError | null): void {
    this._error = error;
    if (state !== this._state || error) {
      this._state = state;
      this._stateChanged.emit(state);
    }
  }

  private readonly _follow: FollowLogs;
  private _controller: AbortController | null = null;
  private _state: LogsState = 'paused';
  private _error: ApiError | null = null;
  private _disposed = false;
  private readonly _linesAdded = new Signal<LogsModel, ILinesAdded>(this);
  private readonly _cleared = new Signal<LogsModel, void>(this);
  private readonly _stateChanged = new Signal<LogsModel, LogsState>(this);
}
