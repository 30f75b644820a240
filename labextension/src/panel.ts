/**
 * The "Containers" side panel: a thin view over ContainersModel. It lays out the sections,
 * forwards user actions to the model and redraws only the sections whose data changed.
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { shownName } from './containerKernel';
import type { Kernelspec } from './generated/rest';
import { ContainersModel } from './model';
import { ContainersView, kernelQuestion, RowAction } from './views/containers';
import { confirmDanger, showFailure } from './views/dialogs';
import { find } from './views/dom';
import { GpusView } from './views/gpus';
import { ImagesView } from './views/images';
import { KernelFormView, KernelspecsView } from './views/kernelspecs';
import { attachPulls, PullsView } from './views/pulls';
import { ErrorView, StatusView } from './views/status';

const TEMPLATE = `
  <div class="lc-Header">
    <h2>Containers</h2>
    <button class="lc-Refresh jp-Button" title="Refresh now">Refresh</button>
  </div>
  <div class="lc-Status" role="status"></div>
  <div class="lc-Error" role="alert" hidden></div>
  <label class="lc-Filter"><input type="checkbox" class="lc-OnlyOurs"/> only containers started from labcontainer</label>
  <div class="lc-Containers"></div>
  <h3>GPUs</h3>
  <div class="lc-Gpus"></div>
  <h3>Images</h3>
  <div class="lc-Images"></div>
  <h3>New container kernel</h3>
  <form class="lc-KernelForm">
    <label>Image <select name="image" class="lc-Image"></select></label>
    <label>or from a registry <input name="registry_image" class="lc-ImageTyped" placeholder="e.g. nvcr.io/nvidia/pytorch:24.05-py3 (pulled at the first start)"/></label>
    <label>GPUs <input name="gpus" class="lc-GpusInput" placeholder="none, 0, 0,1 or all"/></label>
    <div class="lc-GpuHint"></div>
    <label>Volumes, one per line <textarea name="volumes" class="lc-Volumes" rows="2" placeholder="/srv/data:/data:ro"></textarea></label>
    <label>Environment, one NAME=VALUE per line <textarea name="env" class="lc-Env" rows="2" placeholder="OMP_NUM_THREADS=8"></textarea></label>
    <label>Name in the launcher <input name="display_name" class="lc-DisplayName" placeholder="automatic"/></label>
    <label>Kernels kept ready <input type="number" name="pool" class="lc-PoolInput" min="0" max="8" step="1" value="0"/></label>
    <div class="lc-PoolHint">Started in advance, so a notebook's kernel starts at once; each waiting kernel holds a container. Fixed GPUs only (not count=N).</div>
    <button type="submit" class="lc-CreateKernel jp-Button">Add to launcher</button>
    <div class="lc-FormMessage" role="status"></div>
  </form>
  <h3>Container kernels</h3>
  <div class="lc-Kernelspecs"></div>`;

const VERBS: Record<Exclude<RowAction, 'logs' | 'terminal'>, string> = {
  start: 'Starting',
  stop: 'Stopping',
  restart: 'Restarting',
  remove: 'Removing'
};

export namespace ContainersPanel {
  export interface IOptions {
    /** Open the Logs view of a container (a row's Logs button). */
    onShowLogs?: (name: string) => void;
    /** Open a terminal in a running container (a row's Terminal button). */
    onOpenTerminal?: (name: string) => void;
  }
}

export class ContainersPanel extends Widget {
  constructor(
    readonly model: ContainersModel,
    options: ContainersPanel.IOptions = {}
  ) {
    super();
    this._onShowLogs = options.onShowLogs ?? (() => undefined);
    this._onOpenTerminal = options.onOpenTerminal ?? (() => undefined);
    this.id = 'labcontainer-panel';
    this.addClass('lc-Panel');
    this.title.caption = 'Containers';
    this.node.innerHTML = TEMPLATE;

    this._status = new StatusView(find(this.node, '.lc-Status'));
    this._error = new ErrorView(find(this.node, '.lc-Error'));
    this._pulls = attachPulls(find(this.node, '.lc-Error'));
    this._containers = new ContainersView(find(this.node, '.lc-Containers'), {
      onAction: (name, action) => void this._act(name, action)
    });
    this._images = new ImagesView(find(this.node, '.lc-Images'), {
      onPull: image => model.pullImage(image),
      onRemove: name => model.removeImage(name),
      containerShown: name => {
        const container = model.containers.find(candidate => candidate.name === name);
        return container ? shownName(container) : name;
      }
    });
    this._gpus = new GpusView(find(this.node, '.lc-Gpus'), find(this.node, '.lc-GpuHint'));
    this._kernelspecs = new KernelspecsView(find(this.node, '.lc-Kernelspecs'), {
      onRemove: spec => void this._removeKernelspec(spec)
    });
    this._form = new KernelFormView(find<HTMLFormElement>(this.node, '.lc-KernelForm'), {
      onSubmit: body => model.createKernelspec(body),
      confirmReplace: message => confirmDanger('Replace the container kernel?', message, 'Replace')
    });

    find(this.node, '.lc-Refresh').addEventListener('click', () => void model.refresh());
    const onlyOurs = find<HTMLInputElement>(this.node, '.lc-OnlyOurs');
    onlyOurs.addEventListener('change', () => {
      model.scope = onlyOurs.checked ? 'labcontainer' : 'mine';
    });

    model.statusChanged.connect((_, status) => this._status.update(status), this);
    model.errorChanged.connect((_, error) => this._error.update(error), this);
    model.containersChanged.connect((_, containers) => this._containers.update(containers), this);
    model.gpusChanged.connect((_, gpus) => this._gpus.update(gpus), this);
    model.imagesChanged.connect((_, images) => {
      this._form.updateImages(images);
      this._images.update(images);
    }, this);
    model.kernelspecsChanged.connect((_, specs) => this._kernelspecs.update(specs), this);
    model.pulls.changed.connect((_, pulls) => this._pulls.update(pulls), this);
    model.pulls.ended.connect((_, end) => this._images.pullEnded(end), this);
    this._render();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }

  /** Refresh at once when the panel is opened (the poll rests while it is closed). */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.model.refresh();
    this.model.pulls.check();
  }

  /**
   * Put the cursor in the "New container kernel" form when the panel is next activated
   * (the command activates it right after).
   */
  focusKernelFormOnActivate(): void {
    this._focusForm = true;
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    if (!this._focusForm) {
      return;
    }
    this._focusForm = false;
    const image = find<HTMLSelectElement>(this.node, '.lc-Image');
    image.scrollIntoView({ block: 'nearest' });
    // The command palette, closing as the command runs, re-activates the main area's
    // current widget in the same message-loop pass: focus once that has happened.
    requestAnimationFrame(() => image.focus());
  }

  /** Draw what the model already holds. */
  private _render(): void {
    const model = this.model;
    this._status.update(model.status);
    this._error.update(model.error);
    this._containers.update(model.containers);
    this._gpus.update(model.gpus);
    this._form.updateImages(model.images);
    this._images.update(model.images);
    this._kernelspecs.update(model.kernelspecs);
    this._pulls.update(model.pulls.pulls);
  }

  private async _act(name: string, action: RowAction): Promise<void> {
    if (action === 'logs') {
      this._onShowLogs(name);
      return;
    }
    if (action === 'terminal') {
      this._onOpenTerminal(name);
      return;
    }
    const question = kernelQuestion(this.model.container(name), action);
    if (question && !(await confirmDanger(question.title, question.text, question.label))) {
      return;
    }
    if (action === 'remove') {
      const image = this.model.container(name)?.image;
      const accepted = await confirmDanger(
        `Remove ${name}?`,
        `The container ${name}${image ? ` (${image})` : ''} and its writable layer will be deleted. This cannot be undone.`,
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

  private async _removeKernelspec(spec: Kernelspec): Promise<void> {
    const accepted = await confirmDanger(
      `Remove “${spec.display_name}” from the launcher?`,
      'Only the launcher entry goes; no container or image is removed.',
      'Remove'
    );
    if (!accepted) {
      return;
    }
    try {
      await this.model.removeKernelspec(spec.name);
    } catch (error) {
      void showFailure(`Could not remove “${spec.display_name}”`, error);
    }
  }

  private readonly _onShowLogs: (name: string) => void;
  private readonly _onOpenTerminal: (name: string) => void;
  private _focusForm = false;
  private readonly _status: StatusView;
  private readonly _error: ErrorView;
  private readonly _containers: ContainersView;
  private readonly _gpus: GpusView;
  private readonly _images: ImagesView;
  private readonly _pulls: PullsView;
  private readonly _kernelspecs: KernelspecsView;
  private readonly _form: KernelFormView;
}
