/**
 * The side panel's servers, when there are several: one section per Podman connection,
 * its header naming the server and its state, its body (the server's containers, GPUs and
 * images) filled by the panel the first time it is opened. The default server's section
 * starts open, the others closed: a closed section that was never opened asks nothing.
 */
import type { Connection } from '../generated/rest';
import { isReachable, LOCAL } from '../servers';
import { element, setProperty, setText } from './dom';

export namespace ServersView {
  export interface IOptions {
    /** A section is opened for the first time: fill `body` with that server's part. */
    onFirstOpen: (name: string, body: HTMLElement) => void;
    /** A section was opened or closed by the user. */
    onToggle?: (name: string, open: boolean) => void;
  }
}

interface ISection {
  node: HTMLElement;
  header: HTMLButtonElement;
  state: HTMLSpanElement;
  down: HTMLParagraphElement;
  body: HTMLElement;
  open: boolean;
  filled: boolean;
  reachable: boolean;
}

export class ServersView {
  constructor(
    readonly host: HTMLElement,
    private readonly _options: ServersView.IOptions
  ) {}

  /** Show these servers, in this order; a section keeps its open state across updates. */
  update(connections: readonly Connection[]): void {
    const wanted = new Set(connections.map(connection => connection.name));
    for (const [name, section] of this._sections) {
      if (!wanted.has(name)) {
        section.node.remove();
        this._sections.delete(name);
      }
    }
    connections.forEach((connection, index) => {
      let section = this._sections.get(connection.name);
      if (!section) {
        section = this._create(connection);
        this._sections.set(connection.name, section);
      }
      this._render(section, connection);
      const there = this.host.children.item(index);
      if (there !== section.node) {
        this.host.insertBefore(section.node, there);
      }
      if (section.open && !section.filled) {
        section.filled = true;
        this._options.onFirstOpen(connection.name, section.body);
      }
    });
  }

  /** Whether this server's section is open. */
  isOpen(name: string): boolean {
    return this._sections.get(name)?.open ?? false;
  }

  /** Open or close a section, as its header's click does. */
  setOpen(name: string, open: boolean): void {
    const section = this._sections.get(name);
    if (!section || section.open === open) {
      return;
    }
    section.open = open;
    this._show(section);
    if (open && !section.filled) {
      section.filled = true;
      this._options.onFirstOpen(name, section.body);
    }
    this._options.onToggle?.(name, open);
  }

  /** The section node of a server, if shown. */
  sectionNode(name: string): HTMLElement | undefined {
    return this._sections.get(name)?.node;
  }

  private _create(connection: Connection): ISection {
    const name = connection.name;
    const node = element('div', 'lc-Server');
    node.dataset.connection = name;
    const header = element('button', 'lc-ServerHeader');
    header.type = 'button';
    const state = element('span', 'lc-ServerState lc-Detail');
    header.append(element('span', 'lc-ServerName', name), state);
    const down = element('p', 'lc-ServerDown lc-down');
    const body = element('div', 'lc-ServerBody');
    node.append(header, down, body);
    const section: ISection = { node, header, state, down, body, open: connection.default, filled: false, reachable: true };
    header.addEventListener('click', () => this.setOpen(name, !section.open));
    this._show(section);
    return section;
  }

  /** The header's words and the body's "unreachable" line, written only when they differ. */
  private _render(section: ISection, connection: Connection): void {
    const where = connection.name === LOCAL ? 'this machine' : connection.uri;
    const reachable = isReachable(connection);
    setText(section.state, `${where}${connection.default ? ' · default' : ''}${reachable ? '' : ' · unreachable'}`);
    setProperty(section.header, 'title', `${connection.name}: ${connection.uri} (${connection.state})`);
    // Said in words inside the section too: "gpu3 is unreachable since 12:03: why".
    setText(section.down, reachable ? '' : `${connection.name} is ${connection.state}.`);
    section.reachable = reachable;
    this._show(section);
  }

  /** Open or closed, reachable or not: the classes, aria-expanded and what is hidden. */
  private _show(section: ISection): void {
    const className = `lc-Server${section.reachable ? '' : ' lc-unreachable'}${section.open ? ' lc-open' : ''}`;
    setProperty(section.node, 'className', className);
    if (section.header.getAttribute('aria-expanded') !== String(section.open)) {
      section.header.setAttribute('aria-expanded', String(section.open));
    }
    setProperty(section.body, 'hidden', !section.open);
    setProperty(section.down, 'hidden', section.reachable || !section.open);
  }

  private readonly _sections = new Map<string, ISection>();
}
