/**
 * The renderer of `%container exec -it` / `attach` / `run -it` in a notebook: a kernel has no
 * TTY, so the magic offers a terminal (MIME type below, docs/rest-api.md) and this shows it as
 * an "Open terminal" button that opens a terminal tab on that container.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import type { ITerminalQuery } from '../client';
import { element } from './dom';

export const TERMINAL_MIME_TYPE = 'application/vnd.labcontainer.terminal+json';

/** What the magic put in the bundle. */
export interface ITerminalOffer {
  container: string;
  mode: 'exec' | 'attach';
  cmd: string[];
  /** The server the container is on (older bundles have none: the default server). */
  connection?: string;
}

/** Read an offer from a bundle's data; null when it is not one. */
export function readOffer(data: unknown): ITerminalOffer | null {
  if (typeof data !== 'object' || data === null) {
    return null;
  }
  const { container, mode, cmd, connection } = data as Record<string, unknown>;
  if (typeof container !== 'string' || (mode !== 'exec' && mode !== 'attach')) {
    return null;
  }
  const words = Array.isArray(cmd) ? cmd.filter((word): word is string => typeof word === 'string') : [];
  return { container, mode, cmd: words, ...(typeof connection === 'string' && connection ? { connection } : {}) };
}

/** The websocket's query for an offer: `cmd` is one string, each word shell-quoted. */
export function queryOf(offer: ITerminalOffer): ITerminalQuery {
  const quote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`);
  const where = offer.connection ? { connection: offer.connection } : {};
  return offer.mode === 'attach' ? { mode: 'attach', ...where } : { mode: 'exec', cmd: offer.cmd.map(quote).join(' '), ...where };
}

export type OpenTerminal = (container: string, query: ITerminalQuery) => Promise<void>;

class TerminalOfferRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(private readonly _open: OpenTerminal) {
    super();
    this.addClass('lc-TerminalOffer');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const offer = readOffer(model.data[TERMINAL_MIME_TYPE]);
    this.node.textContent = '';
    if (!offer) {
      this.node.appendChild(element('span', 'lc-Error', 'This terminal offer is not one labcontainer can read.'));
      return Promise.resolve();
    }
    const what = offer.mode === 'attach' ? `attach to ${offer.container}` : `${offer.cmd.join(' ') || 'a shell'} in ${offer.container}`;
    const button = element('button', 'jp-Button lc-OpenTerminal', 'Open terminal');
    button.title = `A terminal tab: ${what}`;
    button.addEventListener('click', () => void this._open(offer.container, queryOf(offer)));
    this.node.append(button, element('span', 'lc-Detail', ` ${what}`));
    return Promise.resolve();
  }
}

/** The renderer factory, given how to open a terminal tab. */
export function terminalOfferFactory(open: OpenTerminal): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [TERMINAL_MIME_TYPE],
    // Lower ranks win: the bundle's text/html fallback has JupyterLab's HTML renderer, rank 50
    // (a tie went to the renderer added first: the fallback showed instead of the button).
    defaultRank: 20,
    createRenderer: () => new TerminalOfferRenderer(open)
  };
}
