import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Poll } from '@lumino/polling';
import { Widget } from '@lumino/widgets';

import { ApiError, requestAPI } from './api';
import {
  Container as IContainer,
  GpuView as IGpuInventory,
  Image as IImage,
  Kernelspec as IKernelspec,
  Status as IStatus
} from './generated/rest';

/** What the panel needs from the app: refresh the launcher's kernel list. */
export interface IPanelOptions {
  refreshKernelspecs: () => Promise<void>;
}

type Action = 'start' | 'stop' | 'restart' | 'remove';

/**
 * The "Containers" side panel: the user's containers with buttons, the GPUs and who
 * uses them, and a form that turns an image into a container kernel in the launcher.
 */
export class ContainersPanel extends Widget {
  constructor(private readonly options: IPanelOptions) {
    super();
    this.id = 'labcontainer-panel';
    this.addClass('lc-Panel');
    this.title.caption = 'Containers';
    this.node.innerHTML = `
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
      <h3>New container kernel</h3>
      <form class="lc-KernelForm">
        <label>Image <select name="image" class="lc-Image"></select></label>
        <label>GPUs <input name="gpus" class="lc-GpusInput" placeholder="none, 0, 0,1 or all"/></label>
        <div class="lc-GpuHint"></div>
        <label>Name in the launcher <input name="display_name" class="lc-DisplayName" placeholder="automatic"/></label>
        <button type="submit" class="lc-CreateKernel jp-Button">Add to launcher</button>
        <div class="lc-FormMessage" role="status"></div>
      </form>
      <h3>Container kernels</h3>
      <div class="lc-Kernelspecs"></div>`;
    this.find('.lc-Refresh').addEventListener('click', () => void this.poll.refresh());
    this.find('.lc-OnlyOurs').addEventListener('change', () => void this.poll.refresh());
    this.find('.lc-KernelForm').addEventListener('submit', event => {
      event.preventDefault();
      void this.createKernelspec();
    });
    this.poll = new Poll({
      factory: () => this.refresh(),
      frequency: { interval: 5000, backoff: true, max: 60000 },
      standby: 'when-hidden',
      name: 'labcontainer:refresh'
    });
  }

  readonly poll: Poll;

  dispose(): void {
    this.poll.dispose();
    super.dispose();
  }

  /** Reload everything; failures show as readable messages, never as exceptions. */
  async refresh(): Promise<void> {
    try {
      const status = await requestAPI<IStatus>('status');
      this.showStatus(status);
      if (!status.connected) {
        this.renderContainers([]);
        return;
      }
      const scope = this.checkbox('.lc-OnlyOurs') ? 'labcontainer' : 'mine';
      const [containers, gpus, images, kernelspecs] = await Promise.all([
        requestAPI<{ containers: IContainer[] }>(`containers?scope=${scope}`),
        requestAPI<IGpuInventory>('gpus'),
        requestAPI<{ images: IImage[] }>('images'),
        requestAPI<{ kernelspecs: IKernelspec[] }>('kernelspecs')
      ]);
      this.clearError();
      this.renderContainers(containers.containers);
      this.renderGpus(gpus);
      this.renderImages(images.images);
      this.renderKernelspecs(kernelspecs.kernelspecs);
    } catch (error) {
      this.showError(error);
    }
  }

  private showStatus(status: IStatus): void {
    const node = this.find('.lc-Status');
    if (status.connected) {
      const mode = status.rootless ? 'rootless' : 'rootful';
      node.textContent = `Podman ${status.version} (${mode}) connected`;
      node.className = 'lc-Status lc-ok';
    } else {
      node.textContent = `Podman is not reachable. ${status.message ?? ''}`;
      node.className = 'lc-Status lc-down';
    }
  }

  private renderContainers(containers: IContainer[]): void {
    const host = this.find('.lc-Containers');
    host.replaceChildren();
    if (containers.length === 0) {
      host.appendChild(element('p', 'lc-Empty', 'No containers yet. Run one with %container run -d IMAGE in a notebook.'));
      return;
    }
    for (const container of containers) {
      const row = element('div', `lc-Row lc-state-${container.state}`);
      row.dataset.name = container.name;
      const gpus = container.gpus.map(g => g.split('=').pop()).join(',');
      const info = element('div', 'lc-RowInfo');
      info.appendChild(element('span', 'lc-Name', container.name));
      info.appendChild(element('span', 'lc-StateBadge', container.state));
      info.appendChild(element('div', 'lc-Detail', container.image));
      info.appendChild(
        element('div', 'lc-Detail', `${container.status}${gpus ? ` · GPU ${gpus}` : ''}${container.purpose === 'kernel' ? ' · kernel' : ''}`)
      );
      row.appendChild(info);
      const running = container.state === 'running';
      const buttons = element('div', 'lc-Buttons');
      buttons.appendChild(this.actionButton(container, 'start', 'Start', !running));
      buttons.appendChild(this.actionButton(container, 'stop', 'Stop', running));
      buttons.appendChild(this.actionButton(container, 'restart', 'Restart', running));
      buttons.appendChild(this.actionButton(container, 'remove', 'Remove', !running));
      row.appendChild(buttons);
      host.appendChild(row);
    }
  }

  private actionButton(container: IContainer, action: Action, label: string, enabled: boolean): HTMLButtonElement {
    const button = element('button', `jp-Button lc-Action lc-${action}`, label) as HTMLButtonElement;
    button.dataset.action = action;
    button.disabled = !enabled;
    button.title = enabled ? `${label} ${container.name}` : `${label} is not possible while the container is ${container.state}`;
    button.addEventListener('click', () => void this.act(container, action, button));
    return button;
  }

  private async act(container: IContainer, action: Action, button: HTMLButtonElement): Promise<void> {
    if (action === 'remove') {
      const answer = await showDialog({
        title: `Remove ${container.name}?`,
        body: `The container ${container.name} (${container.image}) and its writable layer will be deleted. This cannot be undone.`,
        buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Remove' })]
      });
      if (!answer.button.accept) {
        return;
      }
    }
    button.disabled = true;
    this.find('.lc-Status').textContent = `${action} ${container.name}…`;
    try {
      if (action === 'remove') {
        await requestAPI(`containers/${encodeURIComponent(container.name)}`, { method: 'DELETE' });
      } else {
        await requestAPI(`containers/${encodeURIComponent(container.name)}/${action}`, { method: 'POST' });
      }
    } catch (error) {
      this.showError(error);
    }
    await this.poll.refresh();
  }

  private renderGpus(inventory: IGpuInventory): void {
    const host = this.find('.lc-Gpus');
    host.replaceChildren();
    const hint = this.find('.lc-GpuHint');
    if (!inventory.available) {
      host.appendChild(element('p', 'lc-Empty', inventory.reason ?? 'No GPUs.'));
      hint.textContent = '';
      return;
    }
    const free = inventory.gpus.filter(g => g.free).map(g => g.index);
    hint.textContent = free.length ? `Free now: ${free.join(', ')}` : 'No GPU is free right now.';
    for (const gpu of inventory.gpus) {
      const box = element('div', 'lc-Gpu');
      box.appendChild(element('div', 'lc-GpuName', `GPU ${gpu.index} · ${gpu.name}${gpu.free ? ' · free' : ''}`));
      const memory = gpu.memory_total ? (gpu.memory_used ?? 0) / gpu.memory_total : 0;
      box.appendChild(bar('memory', memory, `${gib(gpu.memory_used)} / ${gib(gpu.memory_total)}`));
      box.appendChild(bar('util', (gpu.utilization ?? 0) / 100, `${gpu.utilization ?? '-'}%`));
      const users = [
        ...gpu.containers,
        ...gpu.processes.filter(p => p.container_name && !gpu.containers.includes(p.container_name)).map(p => p.container_name as string)
      ];
      const hostProcesses = gpu.processes.filter(p => !p.container_name).length;
      const who = users.length || hostProcesses ? `${users.join(', ')}${hostProcesses ? ` (+${hostProcesses} host process(es))` : ''}` : 'nobody';
      box.appendChild(element('div', 'lc-Detail', `used by: ${who}`));
      host.appendChild(box);
    }
  }

  private renderImages(images: IImage[]): void {
    const select = this.find('.lc-Image') as HTMLSelectElement;
    const previous = select.value;
    const names = images.map(i => i.name);
    if (names.join('\n') === Array.from(select.options).map(o => o.value).join('\n')) {
      return;
    }
    select.replaceChildren(...names.map(name => new Option(name, name)));
    if (names.includes(previous)) {
      select.value = previous;
    }
  }

  private renderKernelspecs(specs: IKernelspec[]): void {
    const host = this.find('.lc-Kernelspecs');
    host.replaceChildren();
    if (specs.length === 0) {
      host.appendChild(element('p', 'lc-Empty', 'None yet: use the form above.'));
    }
    for (const spec of specs) {
      const row = element('div', 'lc-Kernelspec');
      row.dataset.name = spec.name;
      row.appendChild(element('span', 'lc-Name', spec.display_name));
      const remove = element('button', 'jp-Button lc-RemoveKernelspec', 'Remove') as HTMLButtonElement;
      remove.addEventListener('click', () => void this.removeKernelspec(spec));
      row.appendChild(remove);
      host.appendChild(row);
    }
  }

  private async createKernelspec(): Promise<void> {
    const form = this.find('.lc-KernelForm') as HTMLFormElement;
    const message = this.find('.lc-FormMessage');
    const image = (this.find('.lc-Image') as HTMLSelectElement).value;
    const gpus = (this.find('.lc-GpusInput') as HTMLInputElement).value.trim();
    const displayName = (this.find('.lc-DisplayName') as HTMLInputElement).value.trim();
    if (!image) {
      message.textContent = 'Choose an image first (pull one with %container pull IMAGE).';
      return;
    }
    const body: Record<string, string> = { image };
    if (gpus && gpus !== 'none') {
      body.gpus = gpus;
    }
    if (displayName) {
      body.display_name = displayName;
    }
    message.textContent = 'Creating…';
    try {
      const answer = await requestAPI<{ kernelspec: IKernelspec }>('kernelspecs', {
        method: 'POST',
        body: JSON.stringify(body)
      });
      await this.options.refreshKernelspecs();
      message.textContent = `Added “${answer.kernelspec.display_name}” to the launcher.`;
      message.className = 'lc-FormMessage lc-ok';
      form.reset();
    } catch (error) {
      message.textContent = error instanceof ApiError ? error.message : String(error);
      message.className = 'lc-FormMessage lc-down';
    }
    await this.poll.refresh();
  }

  private async removeKernelspec(spec: IKernelspec): Promise<void> {
    const answer = await showDialog({
      title: `Remove “${spec.display_name}” from the launcher?`,
      body: 'Only the launcher entry goes; no container or image is removed.',
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Remove' })]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      await requestAPI(`kernelspecs/${encodeURIComponent(spec.name)}`, { method: 'DELETE' });
      await this.options.refreshKernelspecs();
    } catch (error) {
      this.showError(error);
    }
    await this.poll.refresh();
  }

  private showError(error: unknown): void {
    const node = this.find('.lc-Error');
    node.textContent = error instanceof ApiError ? error.message : `Unexpected problem: ${String(error)}`;
    node.hidden = false;
  }

  private clearError(): void {
    const node = this.find('.lc-Error');
    node.hidden = true;
    node.textContent = '';
  }

  private find(selector: string): HTMLElement {
    return this.node.querySelector(selector) as HTMLElement;
  }

  private checkbox(selector: string): boolean {
    return (this.find(selector) as HTMLInputElement).checked;
  }
}

function element(tag: string, className: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function bar(label: string, fraction: number, text: string): HTMLElement {
  const row = element('div', 'lc-Bar');
  row.appendChild(element('span', 'lc-BarLabel', label));
  const track = element('div', 'lc-BarTrack');
  const fill = element('div', 'lc-BarFill');
  fill.style.width = `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
  track.appendChild(fill);
  row.appendChild(track);
  row.appendChild(element('span', 'lc-BarText', text));
  return row;
}

function gib(bytes: number | null): string {
  return bytes === null ? '-' : `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
