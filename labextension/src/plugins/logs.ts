/** A Logs tab per container, following its output. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import * as client from '../client';
import { LogsModel } from '../logs';
import type { ContainersModel } from '../model';
import { CATEGORY, COMMANDS, containerIcon, IContainersModel } from '../tokens';
import { LogsWidget } from '../views/logs';
import { type IPick, pickContainer } from './pick';

const LOGS_PICK: IPick = {
  title: 'Show the log of',
  okLabel: 'Show',
  none: 'No container to show the log of',
  noneText: 'There are no containers yet. Run one with %container run -d IMAGE in a notebook.',
  runningOnly: false
};

export const logsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'labcontainer:logs',
  description: 'A container’s log in a tab of its own, followed as it grows.',
  autoStart: true,
  requires: [IContainersModel],
  optional: [ICommandPalette],
  activate: (app: JupyterFrontEnd, model: ContainersModel, palette: ICommandPalette | null) => {
    const logTabs = new Map<string, LogsWidget>();
    const openLogs = (name: string) => {
      const open = logTabs.get(name);
      if (open) {
        app.shell.activateById(open.id);
        return;
      }
      const widget = new LogsWidget(new LogsModel({ name, follow: client.followLogs }));
      widget.title.icon = containerIcon;
      logTabs.set(name, widget);
      widget.disposed.connect(() => logTabs.delete(name));
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      void widget.model.follow();
    };
    app.commands.addCommand(COMMANDS.showLogs, {
      label: args => (typeof args.name === 'string' ? `Show Logs of ${args.name}` : 'Show Logs of a Container…'),
      caption: 'Follow a container’s output in a tab of its own',
      execute: async args => {
        const name = typeof args.name === 'string' ? args.name : await pickContainer(model, LOGS_PICK);
        if (name) {
          openLogs(name);
        }
      }
    });
    palette?.addItem({ command: COMMANDS.showLogs, category: CATEGORY });
  }
};
