/**
 * The Logs tab of one container (main area): its last lines, a Follow switch, and a status
 * line. Lines are added and dropped in place, never redrawn as a whole while following.
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import type { ILinesAdded, LogsModel, LogsState } from '../logs';
import { element, find, setProperty, setText } from './dom';
import { ErrorView } from './status';

const TEMPLATE = `
  <div class="lc-LogsHeader">
    <label class="lc-FollowSwitch"><input type="checkbox" class="lc-Follow"/> Follow</label>
    <span class="lc-LogsStatus" role="status"></span>
  </div>
  <div class="lc-Error lc-LogsError" role="alert" hidden></div>
  <div class="lc-LogLines" tabindex="0" aria-label="log lines"></div>`;

/** Pixels from the bottom within which new lines keep the view scrolled to the end. */
const STICKY = 8;

export class LogsWidget extends Widget {
  constructor(readonly model: LogsModel) {
    super();
    this.id = LogsWidget.idFor(model.name);
    this.addClass('lc-LogsWidget');
    this.title.label = `Logs: ${model.name}`;
    this.title.caption = `The output of container ${model.name}`;
    this.title.closable = true;
    this.node.innerHTML = TEMPLATE;
    this._follow = find<HTMLInputElement>(this.node, '.lc-Follow');
    this._status = find(this.node, '.lc-LogsStatus');
    this._error = new ErrorView(find(this.node, '.lc-LogsError'));
    this._lines = find(this.node, '.lc-LogLines');
    this._follow.addEventListener('change', () => {
      if (this._follow.checked) {
        void model.follow();
      } else {
        model.pause();
      }
    });
    model.linesAdded.connect((_, change) => this._add(change), this);
    model.cleared.connect(() => this._lines.replaceChildren(), this);
    model.stateChanged.connect((_, state) => this._show(state), this);
    this._show(model.state);
  }

  /** The widget id of a container's Logs tab (one tab per container). */
  static idFor(name: string): string {
    return `labcontainer-logs-${name}`;
  }

  /** Closing the tab disposes it (a plain Widget would only be detached). */
  protected onCloseRequest(msg: Message): void {
    super.onCloseRequest(msg);
    this.dispose();
  }

  /** Disposing stops following: the server's follower ends with the request. */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }

  private _add({ added, dropped }: ILinesAdded): void {
    const host = this._lines;
    const atEnd = host.scrollHeight - host.scrollTop - host.clientHeight <= STICKY;
    if (dropped >= host.childElementCount) {
      host.replaceChildren(...this.model.buffer.lines.map(lineNode));
    } else {
      for (let i = 0; i < dropped; i++) {
        host.firstElementChild?.remove();
      }
      const fragment = document.createDocumentFragment();
      added.forEach(line => fragment.appendChild(lineNode(line)));
      host.appendChild(fragment);
    }
    if (atEnd) {
      host.scrollTop = host.scrollHeight; // follow the end unless the user scrolled back
    }
    this._show(this.model.state);
  }

  private _show(state: LogsState): void {
    const { name, buffer, error } = this.model;
    setProperty(this._follow, 'checked', state === 'following');
    const dropped = buffer.dropped > 0 ? ` (${buffer.dropped} older lines dropped)` : '';
    const texts: Record<LogsState, string> = {
      following: `Following ${name}; the last ${buffer.limit} lines are kept${dropped}.`,
      paused: `Not following. Turn Follow on to read the last ${buffer.limit} lines again and follow new ones.`,
      ended: `${name} is not running: this is the end of its log${dropped}.`,
      failed: 'Not following.'
    };
    setText(this._status, texts[state]);
    this._error.update(error);
  }

  private readonly _follow: HTMLInputElement;
  private readonly _status: HTMLElement;
  private readonly _error: ErrorView;
  private readonly _lines: HTMLElement;
}

function lineNode(line: string): HTMLDivElement {
  return element('div', 'lc-LogLine', line);
}
