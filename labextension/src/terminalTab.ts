/**
 * Terminal tabs into containers: JupyterLab's own Terminal widget (xterm.js, the user's
 * terminal settings and theme, fit to the tab) over a ContainerTerminalConnection.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { ISessionContext } from '@jupyterlab/apputils';
import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITerminal, Terminal } from '@jupyterlab/terminal';
import { Widget } from '@lumino/widgets';

import type { ITerminalQuery } from './client';
import { ContainerTerminalConnection, tabTitle } from './terminal';

/** Where JupyterLab keeps the user's terminal settings (font, theme, scrollback...). */
const TERMINAL_SETTINGS = '@jupyterlab/terminal-extension:plugin';

/** The user's settings that make sense for a container terminal too. */
const SHARED_OPTIONS = [
  'fontFamily',
  'fontSize',
  'lineHeight',
  'theme',
  'scrollback',
  'cursorBlink',
  'screenReaderMode',
  'pasteWithCtrlV',
  'macOptionIsMeta'
] as const;

/** The user's terminal settings, or the defaults when they cannot be read. */
export async function terminalOptions(settings: ISettingRegistry | null): Promise<Partial<ITerminal.IOptions>> {
  const options: Record<string, unknown> = {};
  if (settings) {
    try {
      const composite = (await settings.load(TERMINAL_SETTINGS)).composite;
      for (const key of SHARED_OPTIONS) {
        if (composite[key] !== undefined && composite[key] !== null) {
          options[key] = composite[key];
        }
      }
    } catch {
      // No terminal extension in this JupyterLab: its defaults are fine.
    }
  }
  return {
    ...(options as Partial<ITerminal.IOptions>),
    // The tab outlives its process, so the user can read how it ended; closing the tab
    // tells the server to end the process (a reload does not: it reconnects).
    closeOnExit: false,
    shutdownOnClose: true
  };
}

/** A tab's key for the layout: its own, random (ids made after a reload must not meet the restored ones). */
function newKey(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * A terminal tab into a container (several per container are fine: distinct ids); with
 * `session` and `key`, a restored tab (after a page reload) back on the terminal the server kept.
 */
export function createTerminalTab(
  name: string,
  options: Partial<ITerminal.IOptions>,
  query: ITerminalQuery = {},
  session?: string,
  key: string = newKey(),
  shown: string = name
): MainAreaWidget<Terminal> {
  const connection = new ContainerTerminalConnection({ container: name, query, session, shown });
  const content = new Terminal(connection, options);
  const widget = new MainAreaWidget({ content });
  // Known from the start, so the layout saved when the tab opens already holds it.
  widget.id = `labcontainer-terminal-${key}`;
  widget.node.dataset.key = key;
  widget.addClass('lc-TerminalTab');
  widget.node.dataset.container = name;
  widget.node.dataset.shown = shown;
  widget.title.closable = true;
  // The widget names its tab after the session and then after what the shell sets as
  // title; the caption always says which container it is in.
  const title = tabTitle(name, shown);
  content.title.label = title.label;
  widget.title.caption = title.caption;
  const showSession = () => {
    if (connection.session) {
      widget.node.dataset.session = connection.session;
    }
  };
  showSession();
  connection.sessionChanged.connect(showSession);
  connection.connectionStatusChanged.connect((_, status) => {
    if (status === 'disconnected') {
      widget.addClass('lc-ended');
    } else {
      widget.removeClass('lc-ended');
    }
  });
  return widget;
}

/** The connection of a container terminal tab. */
export function connectionOf(widget: MainAreaWidget<Terminal>): ContainerTerminalConnection {
  return widget.content.session as ContainerTerminalConnection;
}

/** What restores a tab after a reload: its container, how it was opened, its session id. */
export function restoreArgs(widget: MainAreaWidget<Terminal>): {
  name: string;
  session: string | null;
  key: string;
  shown: string;
  query: { [key: string]: string | undefined };
} {
  const connection = connectionOf(widget);
  return {
    name: connection.container,
    session: connection.session,
    key: tabKey(widget),
    shown: connection.shown,
    query: { ...connection.query }
  };
}

/** The tab's key in the layout (stays the same across reloads). */
export function tabKey(widget: MainAreaWidget<Terminal>): string {
  return widget.node.dataset.key ?? widget.id;
}

/** A widget with a kernel session (a notebook or a console panel). */
export interface ISessionWidget extends Widget {
  sessionContext: ISessionContext;
}

export function hasSession(widget: Widget | null): widget is ISessionWidget {
  const candidate = widget as Partial<ISessionWidget> | null;
  return !!candidate && typeof candidate.sessionContext === 'object' && candidate.sessionContext !== null;
}
