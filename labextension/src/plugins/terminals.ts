/**
 * Terminal tabs into running containers, restored with the layout after a reload, and the
 * "Open terminal" offer that `%container exec -it` and friends render in a notebook.
 */
import { ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import type { Terminal } from '@jupyterlab/terminal';

import type { ITerminalQuery } from '../client';
import { shownName } from '../containerKernel';
import type { ContainersModel } from '../model';
import { connectionOf, createTerminalTab, restoreArgs, tabKey, terminalOptions } from '../terminalTab';
import { CATEGORY, COMMANDS, containerIcon, IContainersModel } from '../tokens';
import { terminalOfferFactory } from '../views/terminalOffer';
import { type IPick, pickContainer } from './pick';

const TERMINAL_PICK: IPick = {
  title: 'Open a terminal in',
  okLabel: 'Open',
  none: 'No running container to open a terminal in',
  noneText: 'No container is running. Start one from the side panel, or run one with %container run -d IMAGE in a notebook.',
  runningOnly: true
};

export const terminalsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'labcontainer:terminals',
  description: 'A shell in a running container (podman exec -it) in JupyterLab’s own terminal tab.',
  autoStart: true,
  requires: [IContainersModel],
  optional: [ILayoutRestorer, ICommandPalette, IRenderMimeRegistry, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    model: ContainersModel,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    rendermime: IRenderMimeRegistry | null,
    settings: ISettingRegistry | null
  ) => {
    // Terminal tabs are restored with the layout after a reload, reconnecting to the shell
    // the server keeps (JupyterLab's own terminals do the same): the tracker saves each tab's
    // container, query and session id, and the restorer reopens it through openTerminal.
    const terminals = new WidgetTracker<MainAreaWidget<Terminal>>({ namespace: 'labcontainer-terminal' });
    if (restorer) {
      void restorer.restore(terminals, {
        command: COMMANDS.openTerminal,
        args: widget => ({ ...restoreArgs(widget) }),
        name: widget => tabKey(widget)
      });
    }
    const openTerminal = async (name: string, query: ITerminalQuery = {}, session?: string, key?: string, shown?: string) => {
      // A kernel's container is named for its notebook, as the side panel's rows say.
      const container = model.containers.find(candidate => candidate.name === name);
      const title = shown ?? (container ? shownName(container) : name);
      const widget = createTerminalTab(name, await terminalOptions(settings), query, session, key, title);
      widget.title.icon = containerIcon;
      connectionOf(widget).sessionChanged.connect(() => void terminals.save(widget));
      app.shell.add(widget, 'main');
      await terminals.add(widget);
      app.shell.activateById(widget.id);
    };
    // `%container exec -it` etc. in a notebook offer a terminal: an "Open terminal" button.
    rendermime?.addFactory(terminalOfferFactory(openTerminal));

    app.commands.addCommand(COMMANDS.openTerminal, {
      label: args =>
        typeof args.name === 'string' ? `Open Terminal in ${args.name}` : 'Open Terminal in Container…',
      caption: 'A shell in a running container (podman exec -it), in a tab of its own',
      execute: async args => {
        const name = typeof args.name === 'string' ? args.name : await pickContainer(model, TERMINAL_PICK);
        if (name) {
          // A restored tab also has how it was opened and the server's id of its terminal.
          const given = typeof args.query === 'object' && args.query !== null ? (args.query as ITerminalQuery) : {};
          // Picked from the palette: a container of the server the panel shows by default.
          const server = typeof args.name === 'string' ? undefined : model.status?.connection;
          const query = server && !given.connection ? { ...given, connection: server } : given;
          const session = typeof args.session === 'string' ? args.session : undefined;
          const key = typeof args.key === 'string' ? args.key : undefined;
          await openTerminal(name, query, session, key, typeof args.shown === 'string' ? args.shown : undefined);
        }
      }
    });
    palette?.addItem({ command: COMMANDS.openTerminal, category: CATEGORY });
  }
};
