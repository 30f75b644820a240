/**
 * The model's pulls section: the pulls the server is making (GET pulls). A container kernel
 * whose image is missing pulls it before its container exists, and the notebook then only
 * says "starting"; the side panel's pull form starts one with POST images.
 *
 * GET pulls is asked every second only while a pull runs, a kernel is starting, or a pull
 * started here has not been seen to end (and once when the panel is shown): nothing is
 * polled otherwise. How a pull started here ended (a failed one is listed with its `error`
 * for a while) is told once through `ended`.
 */
import { type ISignal, Signal } from '@lumino/signaling';

import { sameValue } from './equal';
import type { Pull } from './generated/rest';

/** The client functions the section uses. */
export interface IPullsClient {
  listPulls(): Promise<Pull[]>;
  pullImage(image: string): Promise<Pull>;
}

/** How a pull started with PullsSection.pull ended: `error` null when it went well. */
export interface IPullEnd {
  image: string;
  error: NonNullable<Pull['error']> | null;
}

export namespace PullsSection {
  export interface IOptions {
    client: IPullsClient;
    /** A pull started here went well (the model reloads its images). */
    onPulled?: (image: string) => void;
    /** Milliseconds between two looks while something pulls or starts; 1000 by default. */
    interval?: number;
  }
}

export class PullsSection {
  constructor(private readonly _options: PullsSection.IOptions) {}

  /** The pulls running now (failures left out), oldest first. */
  get pulls(): readonly Pull[] {
    return this._running;
  }

  /** The running pulls, each time they differ from the last look's. */
  get changed(): ISignal<this, readonly Pull[]> {
    return this._changed;
  }

  /** A pull started here ended, well or not (once per pull). */
  get ended(): ISignal<this, IPullEnd> {
    return this._ended;
  }

  /** Whether GET pulls is polled now (a look is scheduled or under way). */
  get active(): boolean {
    return this._timer !== undefined || this._looking;
  }

  /** Look once now (the panel was shown); polling goes on only while there is a reason. */
  check(): void {
    if (this._timer === undefined && !this._looking && !this._disposed) {
      void this._look();
    }
  }

  /** A kernel starts (`on`) or has started (`!on`): keep looking while any is starting. */
  starting(kernel: object, on: boolean): void {
    if (on) {
      this._starting.add(kernel);
      this.check();
    } else {
      this._starting.delete(kernel);
    }
  }

  /** POST images: the server pulls in the background; `ended` tells how it ended. Rejects with ApiError. */
  async pull(image: string): Promise<Pull> {
    const answer = await this._options.client.pullImage(image);
    // Only a look at GET pulls begun after this moment can tell that the pull is over.
    this._pending.set(image, this._looks);
    this.check();
    return answer;
  }

  dispose(): void {
    this._disposed = true;
    clearTimeout(this._timer);
    this._timer = undefined;
    Signal.clearData(this);
  }

  private async _look(): Promise<void> {
    this._timer = undefined;
    this._looking = true;
    const look = ++this._looks;
    let all: Pull[] | null = null;
    try {
      all = await this._options.client.listPulls();
    } catch {
      all = null; // the server is away: nothing to show; a reason to look keeps us looking
    } finally {
      this._looking = false;
    }
    if (this._disposed) {
      return;
    }
    if (all !== null) {
      this._notePulls(all, look);
    }
    const running = (all ?? []).filter(pull => !pull.error);
    if (!sameValue(running, this._running)) {
      this._running = running;
      this._changed.emit(running);
    }
    if (running.length > 0 || this._starting.size > 0 || this._pending.size > 0) {
      this._timer = setTimeout(() => void this._look(), this._options.interval ?? 1000);
    }
  }

  /**
   * A pull started here that is no longer listed went well (the server lists it from POST
   * until it ended) when the look began after the POST; one listed with an `error` failed.
   */
  private _notePulls(pulls: readonly Pull[], look: number): void {
    for (const [image, since] of [...this._pending]) {
      const rows = pulls.filter(pull => pull.image === image && pull.kernel_id === null);
      const failed = rows.find(pull => pull.error)?.error;
      if (failed) {
        this._pending.delete(image);
        this._ended.emit({ image, error: failed });
      } else if (rows.length === 0 && look > since) {
        this._pending.delete(image);
        this._options.onPulled?.(image);
        this._ended.emit({ image, error: null });
      }
    }
  }

  private readonly _changed = new Signal<this, readonly Pull[]>(this);
  private readonly _ended = new Signal<this, IPullEnd>(this);
  private _running: readonly Pull[] = [];
  private _looking = false;
  private _disposed = false;
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private readonly _starting = new Set<object>();
  /** Pulls started here and not known to have ended: image -> the last look begun before the POST. */
  private readonly _pending = new Map<string, number>();
  private _looks = 0;
}
