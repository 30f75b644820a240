/**
 * "Open Terminal in This Kernel's Container": in the Kernel menu's palette entry and as a
 * button on the toolbar of notebooks whose kernel is a container kernel.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';

import * as client from '../client';
import { containerOfKernel, isContainerKernel, shownName } from '../containerKernel';
import { addKernelTerminalButton } from '../kernelTerminalButton';
import { hasSession } from '../terminalTab';
import { CATEGORY, COMMANDS } from '../tokens';
import { showFailure } from '../views/dialogs';

export const kernelTerminalPlugin: JupyterFrontEndPlugin<void> = {
  id: 'labcontainer:kernel-terminal',
  description: 'A terminal in the container a notebook’s container kernel runs in.',
  autoStart: true,
  optional: [ICommandPalette],
  activate: (app: JupyterFrontEnd, palette: ICommandPalette | null) => {
    /** The kernel of the current notebook or console when it is a container kernel. */
    const containerKernel = () => {
      const current = app.shell.currentWidget;
      const kernel = hasSession(current) ? current.sessionContext.session?.kernel : null;
      return kernel && isContainerKernel(app.serviceManager.kernelspecs.specs, kernel.name) ? kernel : null;
    };

    /** A terminal tab in the container this kernel runs in (or a dialog saying why not). */
    const openKernelTerminal = async (kernel: Kernel.IKernelConnection) => {
      try {
        // Asked now, not from the panel's model: the kernel may have restarted a moment ago.
        const found = containerOfKernel(await client.listContainers(), kernel.id);
        if (!found || found.state !== 'running') {
          await showFailure(
            'The kernel’s container is not running',
            `No running container serves the kernel ${kernel.id} right now. Wait until the kernel is idle ` +
              '(it may be restarting), or restart it from the Kernel menu, then try again.'
          );
          return;
        }
        await app.commands.execute(COMMANDS.openTerminal, { name: found.name, shown: shownName(found) });
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
    palette?.addItem({ command: COMMANDS.kernelTerminal, category: CATEGORY });
  }
};
