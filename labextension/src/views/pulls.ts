/**
 * The pulls section of the side panel: one row per pull the server is making, "pulling
 * IMAGE for kernel K: 45 %", drawn from the model's pulls section (src/pulls.ts).
 */
import type { Pull } from '../generated/rest';
import { element, setProperty, setText } from './dom';

/** The row's words: "pulling IMAGE for kernel 1a2b3c4d: 45 % (15.1 MB of 33.6 MB)". */
export function pullLine(pull: Pull): string {
  const who = pull.kernel_id ? ` for kernel ${pull.kernel_id.slice(0, 8)}` : '';
  const percent = pull.fraction === null ? '' : `: ${Math.floor(pull.fraction * 100)} %`;
  const bytes = pull.total ? ` (${megabytes(pull.downloaded)} of ${megabytes(pull.total)})` : '';
  return `pulling ${pull.image}${who}${percent}${bytes}`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** One row per pull, keyed by image and kernel; rows are updated in place. */
export class PullsView {
  constructor(readonly host: HTMLElement) {
    host.hidden = true;
  }

  update(pulls: readonly Pull[]): void {
    const keep = new Set<string>();
    for (const pull of pulls) {
      const key = `${pull.image} ${pull.kernel_id ?? ''}`;
      keep.add(key);
      let row = this._rows.get(key);
      if (!row) {
        row = element('div', 'lc-Pull');
        row.dataset.image = pull.image;
        row.dataset.kernel = pull.kernel_id ?? '';
        row.append(element('span', 'lc-PullText'), element('progress', 'lc-PullBar'));
        this._rows.set(key, row);
        this.host.appendChild(row);
      }
      setText(row.firstChild!, pullLine(pull));
      const bar = row.lastChild as HTMLProgressElement;
      if (pull.fraction === null) {
        bar.removeAttribute('value'); // indeterminate until Podman reports bytes
      } else {
        setProperty(bar, 'value', pull.fraction);
      }
      row.title = pull.message;
    }
    for (const [key, row] of this._rows) {
      if (!keep.has(key)) {
        row.remove();
        this._rows.delete(key);
      }
    }
    setProperty(this.host, 'hidden', pulls.length === 0);
  }

  private readonly _rows = new Map<string, HTMLElement>();
}

/** The panel's pulls section, placed after `anchor`; the model's pulls section feeds it. */
export function attachPulls(anchor: HTMLElement): PullsView {
  const host = element('div', 'lc-Pulls');
  host.setAttribute('role', 'status');
  anchor.after(host);
  return new PullsView(host);
}
