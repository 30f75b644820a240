/**
 * The "Containers" side panel: a thin view over ContainersModel. It lays out the sections,
 * forwards user actions to the model and redraws only the sections whose data changed.
 *
 * With one server (the common case) it shows that server's containers, GPUs and images as it
 * always did. When GET connections lists several, those parts move into one section per
 * server (views/servers.ts): the default server's open and shown by the main model (whose
 * requests then name it), each other one closed, with a model of its own made when it is
 * first opened (serverModel). The kernel form's *Server* select lists the same servers.
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import type { ConnectionsAnswer, Kernelspec } from './generated/rest';
import { ContainersModel } from './model';
import { SERVER_TEMPLATE, ServerBlock } from './serverBlock';
import { confirmDanger, showFailure } from './views/dialogs';
import { find } from './views/dom';
import { GpusView } from './views/gpus';
import { KernelFormView, KernelspecsView } from './views/kernelspecs';
import { ServersView } from './views/servers';

/** The one-server parts (SERVER_TEMPLATE's nodes) carry data-one-server: several servers replace them. */
const TEMPLATE = `
  <div class="lc-Header">
    <h2>Containers</h2>
    <button class="lc-Refresh jp-Button" title="Refresh now">Refresh</button>
  </div>
  <div class="lc-Status" role="status" data-one-server></div>
  <div class="lc-Error" role="alert" hidden data-one-server></div>
  <label class="lc-Filter"><input type="checkbox" class="lc-OnlyOurs"/> only containers started from labcontainer</label>
  <div class="lc-Containers" data-one-server></div>
  <h3 data-one-server>GPUs</h3>
  <div class="lc-Gpus" data-one-server></div>
  <h3 data-one-server>Images</h3>
  <div class="lc-Images" data-one-server></div>
  <h3>New container kernel</h3>
  <form class="lc-KernelForm">
    <label class="lc-ServerField" hidden>Server <select name="connection" class="lc-ServerSelect"></select></label>
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

export namespace ContainersPanel {
  export interface IOptions {
    /** Open the Logs view of a container (a row's Logs button); `connection`: its server. */
    onShowLogs?: (name: string, connection?: string) => void;
    /** Open a terminal in a running container (a row's Terminal button). */
    onOpenTerminal?: (name: string, connection?: string) => void;
    /** GET connections; without it the panel shows one server. */
    listConnections?: () => Promise<ConnectionsAnswer>;
    /**
     * The model of another server's section, made the first time it is needed. `shown`
     * says whether its section is open in a visible panel (its poll rests otherwise).
     */
    serverModel?: (connection: string, shown: () => boolean) => ContainersModel;
    /** Several servers are shown: the main model's requests are to name `answer.default`. */
    onServers?: (answer: ConnectionsAnswer) => void;
  }
}

export class ContainersPanel extends Widget {
  constructor(
    readonly model: ContainersModel,
    private readonly _options: ContainersPanel.IOptions = {}
  ) {
    super();
    this.id = 'labcontainer-panel';
    this.addClass('lc-Panel');
    this.title.caption = 'Containers';
    this.node.innerHTML = TEMPLATE;

    this._single = new ServerBlock(this.node, model, this._blockOptions(undefined));
    this._hint = new GpusView(document.createElement('div'), find(this.node, '.lc-GpuHint'));
    this._kernelspecs = new KernelspecsView(find(this.node, '.lc-Kernelspecs'), {
      onRemove: spec => void this._removeKernelspec(spec)
    });
    this._form = new KernelFormView(find<HTMLFormElement>(this.node, '.lc-KernelForm'), {
      onSubmit: body => model.createKernelspec(body),
      confirmReplace: message => confirmDanger('Replace the container kernel?', message, 'Replace'),
      onServerChange: name => this._formServerChanged(name)
    });

    find(this.node, '.lc-Refresh').addEventListener('click', () => void this.refresh());
    const onlyOurs = find<HTMLInputElement>(this.node, '.lc-OnlyOurs');
    onlyOurs.addEventListener('change', () => {
      for (const each of this._models()) {
        each.scope = onlyOurs.checked ? 'labcontainer' : 'mine';
      }
    });

    this._followForForm(model, () => this._default);
    model.kernelspecsChanged.connect((_, specs) => this._kernelspecs.update(specs), this);
    this._form.updateImages(model.images);
    this._hint.update(model.gpus);
    this._kernelspecs.update(model.kernelspecs);
    void this._loadServers();
  }

  /** The servers' sections, once GET connections listed several (null before). */
  get servers(): ServersView | null {
    return this._servers;
  }

  /** The kernel form (its *Server* select included). */
  get form(): KernelFormView {
    return this._form;
  }

  /** Reload the servers and every shown server's data now. */
  async refresh(): Promise<void> {
    await Promise.all([this._loadServers(), ...this._models(true).map(each => each.refresh())]);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    for (const each of this._models()) {
      each.dispose();
    }
    super.dispose();
  }

  /** Refresh at once when the panel is opened (the poll rests while it is closed). */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh();
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

  private _blockOptions(connection: string | undefined): ServerBlock.IOptions {
    return {
      connection,
      onShowLogs: (name, on) => this._options.onShowLogs?.(name, on),
      onOpenTerminal: (name, on) => this._options.onOpenTerminal?.(name, on)
    };
  }

  /** GET connections: the form's *Server* select, and one section per server when several. */
  private async _loadServers(): Promise<void> {
    const list = this._options.listConnections;
    if (!list || this.isDisposed) {
      return;
    }
    let answer: ConnectionsAnswer;
    try {
      answer = await list();
    } catch {
      return; // an old server without GET connections, or none: one server, as before
    }
    if (this.isDisposed) {
      return;
    }
    this._form.updateServers(answer);
    if (answer.connections.length > 1) {
      (this._servers ?? this._becomeSeveral(answer)).update(answer.connections);
    }
  }

  /** Several servers: the one-server parts give way to one section per server. */
  private _becomeSeveral(answer: ConnectionsAnswer): ServersView {
    this._default = answer.default;
    this._options.onServers?.(answer);
    this._single.dispose();
    for (const node of Array.from(this.node.querySelectorAll(':scope > [data-one-server], :scope > .lc-Pulls'))) {
      node.remove();
    }
    const host = document.createElement('div');
    host.className = 'lc-Servers';
    find(this.node, '.lc-Filter').after(host);
    this._servers = new ServersView(host, {
      onFirstOpen: (name, body) => {
        body.innerHTML = SERVER_TEMPLATE;
        const model = this._modelOf(name);
        this._blocks.set(name, new ServerBlock(body, model, this._blockOptions(name)));
        void model.refresh();
      },
      onToggle: (name, open) => {
        if (open) {
          void this._modelOf(name).refresh();
        }
      }
    });
    return this._servers;
  }

  /** The model of a server: the main one for the default server, else made when first needed. */
  private _modelOf(name: string): ContainersModel {
    if (name === this._default) {
      return this.model;
    }
    let model = this._others.get(name);
    if (!model) {
      const make = this._options.serverModel;
      if (!make) {
        throw new Error('labcontainer panel: several servers but no serverModel option');
      }
      model = make(name, () => this.isVisible && (this._servers?.isOpen(name) ?? false));
      model.scope = this.model.scope;
      this._others.set(name, model);
      this._followForForm(model, () => name);
    }
    return model;
  }

  /** Every model made so far (`shownOnly`: the main one and those of open sections). */
  private _models(shownOnly = false): ContainersModel[] {
    const others = [...this._others].filter(([name]) => !shownOnly || (this._servers?.isOpen(name) ?? false));
    return [this.model, ...others.map(([, model]) => model)];
  }

  /** The form offers the images of its chosen server, and says which of its GPUs are free. */
  private _followForForm(model: ContainersModel, name: () => string | undefined): void {
    const chosen = () => (this._form.server ?? this._default) === name();
    model.imagesChanged.connect((_, images) => chosen() && this._form.updateImages(images), this);
    model.gpusChanged.connect((_, gpus) => chosen() && this._hint.update(gpus), this);
  }

  private _formServerChanged(name: string): void {
    const model = this._modelOf(name);
    this._form.updateImages(model.images);
    this._hint.update(model.gpus);
    void model.refresh();
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

  private _focusForm = false;
  private _default: string | undefined = undefined;
  private _servers: ServersView | null = null;
  private readonly _single: ServerBlock;
  private readonly _blocks = new Map<string, ServerBlock>();
  private readonly _others = new Map<string, ContainersModel>();
  private readonly _hint: GpusView;
  private readonly _kernelspecs: KernelspecsView;
  private readonly _form: KernelFormView;
}
