/**
 * One server's part of the side panel: its Podman status, containers, GPUs, images and
 * pulls, drawn from one ContainersModel. Row actions go to that model (whose client names
 * the server); Logs and Terminal go to the panel's callbacks with the server's name.
 * With one server the panel's own nodes are its home (the panel looks as it always did);
 * with several, each section of the panel holds one (SERVER_TEMPLATE).
 */
import { Signal } from '@lumino/signaling';

import { shownName } from './containerKernel';
import type { ContainersModel } from './model';
import { ContainersView, kernelQuestion, RowAction } from './views/containers';
import { confirmDanger, showFailure } from './views/dialogs';
import { find } from './views/dom';
import { GpusView } from './views/gpus';
import { ImagesView } from './views/images';
import { attachPulls, PullsView } from './views/pulls';
import { ErrorView, StatusView } from './views/status';

/** The nodes of one server's part, in the order the single-server panel has them. */
export const SERVER_TEMPLATE = `
  <div class="lc-Status" role="status"></div>
  <div class="lc-Error" role="alert" hidden></div>
  <div class="lc-Containers"></div>
  <h3>GPUs</h3>
  <div class="lc-Gpus"></div>
  <h3>Images</h3>
  <div class="lc-Images"></div>`;

const VERBS: Record<Exclude<RowAction, 'logs' | 'terminal'>, string> = {
  start: 'Starting',
  stop: 'Stopping',
  restart: 'Restarting',
  remove: 'Removing'
};

export namespace ServerBlock {
  export interface IOptions {
    /** The server these rows are on; absent: the server's default (one server only). */
    connection?: string;
    /** Open the Logs view of a container (a row's Logs button). */
    onShowLogs: (name: string, connection?: string) => void;
    /** Open a terminal in a running container (a row's Terminal button). */
    onOpenTerminal: (name: string, connection?: string) => void;
  }
}

export class ServerBlock {
  /** Find the part's nodes under `root` (SERVER_TEMPLATE's classes) and follow `model`. */
  constructor(
    root: HTMLElement,
    readonly model: ContainersModel,
    private readonly _options: ServerBlock.IOptions
  ) {
    this._status = new StatusView(find(root, '.lc-Status'));
    this._error = new ErrorView(find(root, '.lc-Error'));
    this._pulls = attachPulls(find(root, '.lc-Error'));
    this._containers = new ContainersView(find(root, '.lc-Containers'), {
      onAction: (name, action) => void this._act(name, action)
    });
    this._images = new ImagesView(find(root, '.lc-Images'), {
      onPull: image => model.pullImage(image),
      onRemove: name => model.removeImage(name),
      containerShown: name => {
        const container = model.container(name);
        return container ? shownName(container) : name;
      }
    });
    // The kernel form's "Free now" line follows the form's server: the panel feeds it.
    this._gpus = new GpusView(find(root, '.lc-Gpus'), document.createElement('div'));

    model.statusChanged.connect((_, status) => this._status.update(status), this);
    model.errorChanged.connect((_, error) => this._error.update(error), this);
    model.containersChanged.connect((_, containers) => this._containers.update(containers), this);
    model.gpusChanged.connect((_, gpus) => this._gpus.update(gpus), this);
    model.imagesChanged.connect((_, images) => this._images.update(images), this);
    model.pulls.changed.connect((_, pulls) => this._pulls.update(pulls), this);
    model.pulls.ended.connect((_, end) => this._images.pullEnded(end), this);
    this.render();
  }

  /** Stop following the model (the panel now shows its servers in sections). */
  dispose(): void {
    Signal.disconnectReceiver(this);
  }

  /** Draw what the model already holds. */
  render(): void {
    const model = this.model;
    this._status.update(model.status);
    this._error.update(model.error);
    this._containers.update(model.containers);
    this._gpus.update(model.gpus);
    this._images.update(model.images);
    this._pulls.update(model.pulls.pulls);
  }

  private async _act(name: string, action: RowAction): Promise<void> {
    const connection = this._options.connection;
    if (action === 'logs') {
      this._options.onShowLogs(name, connection);
      return;
    }
    if (action === 'terminal') {
      this._options.onOpenTerminal(name, connection);
      return;
    }
    const question = kernelQuestion(this.model.container(name), action);
    if (question && !(await confirmDanger(question.title, question.text, question.label))) {
      return;
    }
    if (action === 'remove') {
      const image = this.model.container(name)?.image;
      const where = connection ? ` on ${connection}` : '';
      const accepted = await confirmDanger(
        `Remove ${name}?`,
        `The container ${name}${image ? ` (${image})` : ''}${where} and its writable layer will be deleted. This cannot be undone.`,
        'Remove'
      );
      if (!accepted) {
        return;
      }
    }
    this._containers.setBusy(name, true);
    this._status.showProgress(`${VERBS[action]} ${name}…`);
    try {
      if (action === 'remove') {
        await this.model.remove(name);
      } else {
        await this.model.containerAction(name, action);
      }
    } catch (error) {
      void showFailure(`Could not ${action} ${name}`, error);
    } finally {
      this._containers.setBusy(name, false);
      this._status.update(this.model.status);
    }
  }

  private readonly _status: StatusView;
  private readonly _error: ErrorView;
  private readonly _containers: ContainersView;
  private readonly _gpus: GpusView;
  private readonly _images: ImagesView;
  private readonly _pulls: PullsView;
}
