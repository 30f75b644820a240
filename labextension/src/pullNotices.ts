import type { Pull } from './generated/rest';
import { pullLine } from './views/pulls';

/** How notices are shown: JupyterLab's Notification in the app, a recorder in tests. */
export interface IPullNotices {
  /** Show a new in-progress notice; returns its id. */
  show(message: string, progress: number | undefined): string;
  update(id: string, message: string, progress: number | undefined): void;
  dismiss(id: string): void;
}

/**
 * A container kernel whose image must be pulled first only says "starting" in the
 * notebook, for minutes with a 20 GB image. While its pull runs, an in-progress notice,
 * seen from the notebook (and not only in the side panel), says what is happening:
 * "pulling IMAGE for kernel 1a2b3c4d: 45 % (…)". It goes when the pull ends; if the
 * start then fails, JupyterLab's own start error dialog says why.
 */
export class KernelPullNotices {
  constructor(private readonly _notices: IPullNotices) {}

  /** The pulls the server reports now (GET pulls, each time the answer changes). */
  update(pulls: readonly Pull[]): void {
    const current = new Set<string>();
    for (const pull of pulls) {
      if (!pull.kernel_id || pull.error) {
        continue; // a pull asked for in the side panel or a notebook shows its own progress (and failure)
      }
      const key = `${pull.image} ${pull.kernel_id}`;
      current.add(key);
      const message = pullLine(pull);
      const progress = pull.fraction ?? undefined;
      const id = this._shown.get(key);
      if (id === undefined) {
        this._shown.set(key, this._notices.show(message, progress));
      } else {
        this._notices.update(id, message, progress);
      }
    }
    for (const [key, id] of this._shown) {
      if (!current.has(key)) {
        this._notices.dismiss(id);
        this._shown.delete(key);
      }
    }
  }

  private readonly _shown = new Map<string, string>();
}
