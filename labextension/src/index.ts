import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, InputDialog, MainAreaWidget, Notification, WidgetTracker } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { Kernel } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import type { Terminal } from '@jupyterlab/terminal';
import { LabIcon } from '@jupyterlab/ui-components';

import * as client from './client';
import type { ITerminalQuery } from './client';
import { watchKernelReasons } from './kernelNotices';
import { isContainerKernel } from './containerKernel';
import { addKernelTerminalButton } from './kernelTerminalButton';
import { LogsModel } from './logs';
import { ContainersModel } from './model';
import { ContainersPanel } from './panel';
import { KernelPullNotices } from './pullNotices';
import { connectionOf, createTerminalTab, hasSession, restoreArgs, tabKey, terminalOptions } from './terminalTab';
import { showFailure } from './views/dialogs';
import { HelpWidget } from './views/help';
import { terminalOfferFactory } from './views/terminalOffer';
import { LogsWidget } from './views/logs';
import { watchKernelStarts } from './views/pulls';

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
  openTerminal: 'labcontainer:open-terminal',
  kernelTerminal: 'labcontainer:open-kernel-terminal',
  help: 'labcontainer:help'
} as const;

const CATEGORY = 'Labcontainer';

/**
 * The labcontainer side panel: containers, GPUs and container kernels; a Logs tab per
 * container; terminal tabs into running containers (also from a container kernel's notebook);
 * the panel's actions in the command palette; Help > Labcontainer Help.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'labcontainer:panel',
  description: 'Your Podman containers, GPUs and container kernels in a side panel.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, IRenderMimeRegistry, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    rendermime: IRenderMimeRegistry | null,
    settings: ISettingRegistry | null
  ) => {
    // The poll rests while the side panel is closed or the browser tab is hidden.
    let shown: () => boolean = () => true;
    const model = new ContainersModel({
      client,
      refreshLauncher: () => app.serviceManager.kernelspecs.refreshSpecs(),
      standby: () => !shown() || 'when-hidden'
    });
    const panel = new ContainersPanel(model, {
      onShowLogs: name => void app.commands.execute(COMMANDS.showLogs, { name }),
      onOpenTerminal: name => void app.commands.execute(COMMANDS.openTerminal, { name })
    });
    shown = () => panel.isVisible;
    panel.title.icon = containerIcon;
    app.shell.add(panel, 'left', { rank: 600 });
    if (restorer) {
      restorer.add(panel, 'labcontainer-panel');
    }
    // A starting kernel may first pull its image: the panel shows that pull while it runs.
    watchKernelStarts(app.shell, panel.pulls);
    // ...and says so where the user waits, the notebook's window, not only in the panel.
    const pullNotices = new KernelPullNotices({
      show: (message, progress) => Notification.emit(message, 'in-progress', { autoClose: false, progress }),
      update: (id, message, progress) => void Notification.update({ id, message, progress }),
      dismiss: id => Notification.dismiss(id)
    });
    panel.pulls.changed.connect((_, pulls) => pullNotices.update(pulls));
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
    const openTerminal = async (name: string, query: ITerminalQuery = {}, session?: string, key?: string) => {
      const widget = createTerminalTab(name, await terminalOptions(settings), query, session, key);
      widget.title.icon = containerIcon;
      connectionOf(widget).sessionChanged.connect(() => void terminals.save(widget));
      app.shell.add(widget, 'main');
      await terminals.add(widget);
      app.shell.activateById(widget.id);
    };
    // `%container exec -it` etc. in a notebook offer a terminal: an "Open terminal" button.
    rendermime?.addFactory(terminalOfferFactory(openTerminal));

    /** The kernel of the current notebook or console when it is a container kernel. */
    const containerKernel = () => {
      const current = app.shell.currentWidget;
      const kernel = hasSession(current) ? current.sessionContext.session?.kernel : null;
      return kernel && isContainerKernel(app.serviceManager.kernelspecs.specs, kernel.name) ? kernel : null;
    };

    /** A terminal tab in the container this kernel runs in (or a dialog saying why not). */
    const openKernelTerminal = async (kernel: Kernel.IKernelConnection) => {
      try {
        const containers = await client.listContainers();
        const found = containers.find(container => container.kernel?.id === kernel.id);
        if (!found || found.state !== 'running') {
          await showFailure(
            'The kernel’s container is not running',
            `No running container serves the kernel ${kernel.id} right now. Wait until the kernel is idle ` +
              '(it may be restarting), or restart it from the Kernel menu, then try again.'
          );
          return;
        }
        await openTerminal(found.name);
      } catch (error) {
        await showFailure('Could not open a terminal in the kernel’s container', error);
      }
    };
    // The same, from a button on the toolbar of notebooks whose kernel is a container kernel.
    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: panel =>
        addKernelTerminalButton(panel as unknown as Parameters<typeof addKernelTerminalButton>[0], {
          specs: () => app.serviceManager.kernelspecs.specs,
          specsChanged: app.serviceManager.kernelspecs.specsChanged,
          open: kernel => void openKernelTerminal(kernel)
        })
    });

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
        const name = typeof args.name === 'string' ? args.name : await pickContainer(model, LOGS_PICK);
        if (name) {
          openLogs(name);
        }
      }
    });
    app.commands.addCommand(COMMANDS.openTerminal, {
      label: args =>
        typeof args.name === 'string' ? `Open Terminal in ${args.name}` : 'Open Terminal in Container…',
      caption: 'A shell in a running container (podman exec -it), in a tab of its own',
      execute: async args => {
        const name = typeof args.name === 'string' ? args.name : await pickContainer(model, TERMINAL_PICK);
        if (name) {
          // A restored tab also has how it was opened and the server's id of its terminal.
          const query = typeof args.query === 'object' && args.query !== null ? (args.query as ITerminalQuery) : {};
          const session = typeof args.session === 'string' ? args.session : undefined;
          await openTerminal(name, query, session, typeof args.key === 'string' ? args.key : undefined);
        }
      }
    });
    app.commands.addCommand(COMMANDS.kernelTerminal, {
      label: 'Open Terminal in This Kernel’s Container',
      caption: 'A shell in the container this notebook’s kernel runs in',
      isEnabled: () => containerKernel() !== null,
      isVisible: () => containerKernel() !== null,
      execute: async () => {
        const kernel = containerKernel();
        if (kernel) {
          await openKernelTerminal(kernel);
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

interface IPick {
  title: string;
  okLabel: string;
  none: string;
  noneText: string;
  runningOnly: boolean;
}

const LOGS_PICK: IPick = {
  title: 'Show the log of',
  okLabel: 'Show',
  none: 'No container to show the log of',
  noneText: 'There are no containers yet. Run one with %container run -d IMAGE in a notebook.',
  runningOnly: false
};

const TERMINAL_PICK: IPick = {
  title: 'Open a terminal in',
  okLabel: 'Open',
  none: 'No running container to open a terminal in',
  noneText: 'No container is running. Start one from the side panel, or run one with %container run -d IMAGE in a notebook.',
  runningOnly: true
};

/** Ask which container; null when cancelled or there is none to choose. */
async function pickContainer(model: ContainersModel, pick: IPick): Promise<string | null> {
  await model.refresh();
  const names = model.containers
    .filter(container => !pick.runningOnly || container.state === 'running')
    .map(container => container.name);
  if (names.length === 0) {
    await showFailure(pick.none, model.error ?? pick.noneText);
    return null;
  }
  const answer = await InputDialog.getItem({ title: pick.title, items: names, okLabel: pick.okLabel });
  return answer.button.accept ? answer.value : null;
}

export default plugin;
