/** The side panel and the model it shows, which this plugin provides to the others. */
import { ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import * as client from '../client';
import { EventsSocket } from '../events';
import { ContainersModel } from '../model';
import { ContainersPanel } from '../panel';
import { boundClient, SERVER_SECTIONS } from '../servers';
import { CATEGORY, COMMANDS, containerIcon, IContainersModel } from '../tokens';

/**
 * The labcontainer side panel: containers, GPUs, images, container kernels and pulls; its
 * commands (show, refresh, new container kernel) in the palette.
 */
export const panelPlugin: JupyterFrontEndPlugin<ContainersModel> = {
  id: 'labcontainer:panel',
  description: 'Your Podman containers, GPUs and container kernels in a side panel.',
  autoStart: true,
  provides: IContainersModel,
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (app: JupyterFrontEnd, restorer: ILayoutRestorer | null, palette: ICommandPalette | null) => {
    // The poll rests while the side panel is closed or the browser tab is hidden.
    let shown: () => boolean = () => true;
    // With several servers, the main model shows the default one and names it in each request.
    let mainConnection: string | undefined = undefined;
    const model = new ContainersModel({
      client: boundClient(client, () => mainConnection),
      refreshLauncher: () => app.serviceManager.kernelspecs.refreshSpecs(),
      standby: () => !shown() || 'when-hidden'
    });
    const panel = new ContainersPanel(model, {
      onShowLogs: (name, connection) => void app.commands.execute(COMMANDS.showLogs, connection ? { name, connection } : { name }),
      // Another server's container: its terminal opens there (the websocket's ?connection=).
      onOpenTerminal: (name, connection) =>
        void app.commands.execute(COMMANDS.openTerminal, connection ? { name, query: { connection } } : { name }),
      listConnections: client.listConnections,
      onServers: answer => {
        mainConnection = answer.default;
      },
      // Another server's section: its requests name it, and its change notices come on its
      // own events socket (the server follows that server's Podman over its SSH link).
      serverModel: (connection, sectionShown) =>
        new ContainersModel({
          client: boundClient(client, () => connection),
          events: new EventsSocket({ connection }),
          sections: SERVER_SECTIONS,
          standby: () => !sectionShown() || 'when-hidden'
        })
    });
    shown = () => panel.isVisible;
    panel.title.icon = containerIcon;
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, 'labcontainer-panel');

    app.commands.addCommand(COMMANDS.openPanel, {
      label: 'Show Containers Panel',
      caption: 'Open the Containers side panel',
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(COMMANDS.refresh, {
      label: 'Refresh Containers',
      caption: 'Read containers, GPUs, images and container kernels again now',
      execute: () => model.refresh()
    });
    app.commands.addCommand(COMMANDS.newKernel, {
      label: 'New Container Kernel…',
      caption: 'Add a container kernel to the launcher (the side panel’s form)',
      execute: () => {
        panel.focusKernelFormOnActivate();
        app.shell.activateById(panel.id);
      }
    });
    for (const command of [COMMANDS.openPanel, COMMANDS.refresh, COMMANDS.newKernel]) {
      palette?.addItem({ command, category: CATEGORY });
    }
    return model;
  }
};
