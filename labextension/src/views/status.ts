/** The Podman status line and the refresh error box. */
import type { ApiError } from '../errors';
import type { Status } from '../generated/rest';
import { setClassName, setHidden, setText } from './dom';

export class StatusView {
  constructor(readonly node: HTMLElement) {}

  update(status: Status | null): void {
    if (!status) {
      setText(this.node, 'Connecting…');
      setClassName(this.node, 'lc-Status');
    } else if (status.connected) {
      const mode = status.rootless ? 'rootless' : 'rootful';
      setText(this.node, `Podman ${status.version ?? ''} (${mode}) connected`);
      setClassName(this.node, 'lc-Status lc-ok');
    } else {
      setText(this.node, `Podman is not reachable. ${status.message ?? ''}`.trim());
      setClassName(this.node, 'lc-Status lc-down');
    }
  }

  /** A passing note such as "stop train…"; the next update() replaces it. */
  showProgress(text: string): void {
    setText(this.node, text);
  }
}

export class ErrorView {
  constructor(readonly node: HTMLElement) {}

  update(error: ApiError | null): void {
    setText(this.node, error ? error.message : '');
    setHidden(this.node, error === null);
  }
}
