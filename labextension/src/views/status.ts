/** The Podman status line and the refresh error box. */
import type { ApiError } from '../errors';
import type { Status } from '../generated/rest';
import { setProperty, setText } from './dom';

export class StatusView {
  constructor(readonly node: HTMLElement) {}

  update(status: Status | null): void {
    setProperty(this.node, 'title', status?.note ?? '');
    if (!status) {
      setText(this.node, 'Connecting…');
      setProperty(this.node, 'className', 'lc-Status');
    } else if (status.connected) {
      const mode = status.rootless ? 'rootless' : 'rootful';
      // Under a hub nothing starts a member's Podman: labcontainer did, and says so here.
      const started = status.started_by_labcontainer ? ', started for you by labcontainer' : '';
      setText(this.node, `Podman ${status.version ?? ''} (${mode}) connected${started}`);
      setProperty(this.node, 'className', 'lc-Status lc-ok');
    } else {
      setText(this.node, `Podman is not reachable. ${status.message ?? ''}`.trim());
      setProperty(this.node, 'className', 'lc-Status lc-down');
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
    setProperty(this.node, 'hidden', error === null);
  }
}
