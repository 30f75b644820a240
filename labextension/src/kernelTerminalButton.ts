/**
 * "Open terminal in this kernel's container": a button on the toolbar of notebooks whose
 * kernel is a container kernel (the Kernel menu has the same entry). Shown only while the
 * notebook's kernel is one, so it follows kernel changes.
 */
import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel, KernelSpec } from '@jupyterlab/services';
import { terminalIcon, ToolbarButton } from '@jupyterlab/ui-components';
import type { Toolbar } from '@jupyterlab/ui-components';
import type { ISignal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';

import { isContainerKernel } from './containerKernel';

/** The toolbar item's name (a notebook toolbar may list or hide items by name). */
export const BUTTON_NAME = 'labcontainer-kernel-terminal';

/** What the button needs of a notebook panel (typed loosely: no notebook package needed). */
export interface IToolbarPanel {
  toolbar: Toolbar;
  sessionContext: ISessionContext;
}

export interface IButtonOptions {
  /** Kernelspecs, to tell a container kernel; `changed` fires when they are (re)loaded. */
  specs: () => KernelSpec.ISpecModels | null | undefined;
  specsChanged: ISignal<unknown, unknown>;
  /** Open a terminal in the container of this kernel. */
  open: (kernel: Kernel.IKernelConnection) => void;
}

/** Add the button to a notebook panel's toolbar; hidden unless its kernel is a container kernel. */
export function addKernelTerminalButton(panel: IToolbarPanel, options: IButtonOptions): Widget {
  const button = new ToolbarButton({
    icon: terminalIcon,
    className: 'lc-KernelTerminalButton',
    tooltip: 'Open terminal in this kernel’s container',
    onClick: () => {
      const kernel = panel.sessionContext.session?.kernel;
      if (kernel) {
        options.open(kernel);
      }
    }
  });
  const update = () => {
    if (!button.isDisposed) {
      button.setHidden(!isContainerKernel(options.specs(), panel.sessionContext.session?.kernel?.name));
    }
  };
  update();
  if (!panel.toolbar.insertAfter('kernelName', BUTTON_NAME, button)) {
    panel.toolbar.addItem(BUTTON_NAME, button);
  }
  panel.sessionContext.kernelChanged.connect(update);
  panel.sessionContext.sessionChanged.connect(update);
  options.specsChanged.connect(update);
  button.disposed.connect(() => {
    options.specsChanged.disconnect(update);
  });
  return button;
}
