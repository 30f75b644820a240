/** The GPU section and the form's "free now" hint; redrawn only when the GPU data changed. */
import type { Gpu, GpuView } from '../generated/rest';
import { element, setText } from './dom';

export class GpusView {
  constructor(
    readonly host: HTMLElement,
    readonly hint: HTMLElement
  ) {}

  update(view: GpuView | null): void {
    if (!view) {
      this.host.replaceChildren();
      setText(this.hint, '');
      return;
    }
    if (!view.available) {
      this.host.replaceChildren(element('p', 'lc-Empty', view.reason ?? 'No GPUs.'));
      setText(this.hint, '');
      return;
    }
    const free = view.gpus.filter(gpu => gpu.free).map(gpu => gpu.index);
    setText(this.hint, free.length ? `Free now: ${free.join(', ')}` : 'No GPU is free right now.');
    this.host.replaceChildren(...view.gpus.map(gpuBox));
  }
}

function gpuBox(gpu: Gpu): HTMLElement {
  const box = element('div', 'lc-Gpu');
  box.dataset.index = String(gpu.index);
  box.appendChild(element('div', 'lc-GpuName', `GPU ${gpu.index} · ${gpu.name}${gpu.free ? ' · free' : ''}`));
  if (gpu.error !== null) {
    box.appendChild(element('div', 'lc-Detail lc-down', gpu.error));
  }
  const memory = gpu.memory_total ? (gpu.memory_used ?? 0) / gpu.memory_total : 0;
  box.appendChild(bar('memory', memory, `${gib(gpu.memory_used)} / ${gib(gpu.memory_total)}`));
  box.appendChild(bar('util', (gpu.utilization ?? 0) / 100, `${gpu.utilization ?? '-'}%`));
  const readings = [
    gpu.temperature === null ? null : `${gpu.temperature} °C`,
    gpu.power_draw === null
      ? null
      : `${gpu.power_draw.toFixed(0)} W${gpu.power_limit === null ? '' : ` / ${gpu.power_limit.toFixed(0)} W`}`
  ].filter((text): text is string => text !== null);
  if (readings.length) {
    box.appendChild(element('div', 'lc-Detail lc-GpuReadings', readings.join(' · ')));
  }
  box.appendChild(element('div', 'lc-Detail', `used by: ${users(gpu)}`));
  return box;
}

/**
 * Containers that asked for the GPU or run on it, as the server shows them (a kernel's
 * container as "kernel of train.ipynb"), then host processes counted by user: on a shared
 * server, whose they are is what matters (the same words as the ipywidgets panel's).
 */
export function users(gpu: Gpu): string {
  const names = [...gpu.holders];
  const hostByUser = new Map<string, number>();
  for (const process of gpu.processes) {
    const shown = process.holder ?? process.container_name;
    if (!process.container_name) {
      const user = process.user ?? 'another user';
      hostByUser.set(user, (hostByUser.get(user) ?? 0) + 1);
    } else if (shown && !names.includes(shown)) {
      names.push(shown);
    }
  }
  const host = [...hostByUser.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([user, count]) => `${count} host process(es) of ${user}`);
  return [...names, ...host].join(', ') || 'nobody';
}

function bar(label: string, fraction: number, text: string): HTMLElement {
  const row = element('div', 'lc-Bar');
  const track = element('div', 'lc-BarTrack');
  const fill = element('div', 'lc-BarFill');
  fill.style.width = `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
  track.appendChild(fill);
  row.append(element('span', 'lc-BarLabel', label), track, element('span', 'lc-BarText', text));
  return row;
}

function gib(bytes: number | null): string {
  return bytes === null ? '-' : `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
