import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, InputDialog, Notification } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { LabIcon } from '@jupyterlab/ui-components';

import * as client from './client';
import { watchKernelReasons } from './kernelNotices';
import { LogsModel } from './logs';
import { ContainersModel } from './model';
import { ContainersPanel } from './panel';
import { showFailure } from './views/dialogs';
import { HelpWidget } from './views/help';
import { LogsWidget } from './views/logs';

const containerIconSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M2 7h20v13H2z" opacity=".25"/>
    <path d="M2 5h20v3H2zM4 10h2v8H4zm4 0h2v8H8zm4 0h2v8h-2zm4 0h2v8h-2z"/>
  </g></svg>`;

export const containerIcon = new LabIcon({ name: 'labcontainer:containers', svgstr: containerIconSvg });

/** The command ids (the Help menu entry is declared in schema/panel.json). */
export const COMMANDS = {
  openPanel: 'labcontainer:open-panel',
  refresh: 'labcontainer:refresh',
  newKernel: 'labcontainer:new-kernel',
  showLogs: 'labcontainer:show-logs',
  help: 'labcontainer:help'
} as const;

const CATEGORY = 'Labcontainer';

/**
 * The labcontainer side panel: containers, GPUs and container kernels; a Logs tab per
 * container; the panel's actions in the command palette; Help > Labcontainer Help.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'labcontainer:panel',
  description: 'Your Podman containers, GPUs and container kernels in a side panel.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, IRenderMimeRegistry],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    rendermime: IRenderMimeRegistry | null
  ) => {
    // The poll rests while the side panel is closed or the browser tab is hidden.
    let shown: () => boolean = () => true;
    const model = new ContainersModel({
      client,
      refreshLauncher: () => app.serviceManager.kernelspecs.refreshSpecs(),
      standby: () => !shown() || 'when-hidden'
    });
    const panel = new ContainersPanel(model, {
      onShowLogs: name => void app.commands.execute(COMMANDS.showLogs, { name })
    });
    shown = () => panel.isVisible;
    panel.title.icon = containerIcon;
    app.shell.add(panel, 'left', { rank: 600 });
    if (restorer) {
      restorer.add(panel, 'labcontainer-panel');
    }
    // Why a container kernel restarted by itself (exit code, last lines), once per reason.
    watchKernelReasons(app.serviceManager.kernels, message => {
      Notification.warning(message, { autoClose: false });
    });

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

    let help: HelpWidget | null = null;
    const openHelp = () => {
      if (!help || help.isDisposed) {
        help = new HelpWidget(rendermime);
        help.title.icon = containerIcon;
        app.shell.add(help, 'main');
      }
      app.shell.activateById(help.id);
    };

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
    app.commands.addCommand(COMMANDS.showLogs, {
      label: args => (typeof args.name === 'string' ? `Show Logs of ${args.name}` : 'Show Logs of a Container…'),
      caption: 'Follow a container’s output in a tab of its own',
      execute: async args => {
        const name = typeof args.name === 'string' ? args.name : await pickContainer(model);
        if (name) {
          openLogs(name);
        }
      }
    });
    app.commands.addCommand(COMMANDS.help, {
      label: 'Labcontainer Help',
      caption: 'How to use labcontainer: magics, panels, container kernels (from its README)',
      execute: openHelp
    });
    if (palette) {
      for (const command of Object.values(COMMANDS)) {
        palette.addItem({ command, category: CATEGORY });
      }
    }
  }
};

/** Ask which container's log to show; null when cancelled or there is none. */
async function pickContainer(model: ContainersModel): Promise<string | null> {
  await model.refresh();
  const names = model.containers.map(container => container.name);
  if (names.length === 0) {
    const reason = model.error ?? 'There are no containers yet. Run one with %container run -d IMAGE in a notebook.';
    await showFailure('No container to show the log of', reason);
    return null;
  }
  const answer = await InputDialog.getItem({ title: 'Show the log of', items: names, okLabel: 'Show' });
  return answer.button.accept ? answer.value : null;
}

export default plugin;
