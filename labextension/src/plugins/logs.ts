/** A Logs tab per container, following its output. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import * as client from '../client';
import { type FollowLogs, LogsModel } from '../logs';
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
    // `connection`: the container's server (a side panel section's); absent: the default one.
    const openLogs = (name: string, connection?: string) => {
      const key = connection ? `${connection}/${name}` : name;
      const open = logTabs.get(key);
      if (open) {
        app.shell.activateById(open.id);
        return;
      }
      const follow: FollowLogs = (container, options) => client.followLogs(container, { ...options, connection });
      const widget = new LogsWidget(new LogsModel({ name, follow }));
      if (connection) {
        widget.id = `${LogsWidget.idFor(name)}-on-${connection}`; // the same name may be on two servers
        widget.title.label = `Logs: ${name} on ${connection}`;
        widget.title.caption = `The output of container ${name} on ${connection}`;
      }
      widget.title.icon = containerIcon;
      logTabs.set(key, widget);
      widget.disposed.connect(() => logTabs.delete(key));
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
          openLogs(name, typeof args.connection === 'string' ? args.connection : undefined);
        }
      }
    });
    palette?.addItem({ command: COMMANDS.showLogs, category: CATEGORY });
  }
};
