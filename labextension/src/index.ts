import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { LabIcon } from '@jupyterlab/ui-components';

import * as client from './client';
import { watchKernelReasons } from './kernelNotices';
import { ContainersModel } from './model';
import { ContainersPanel } from './panel';

const containerIconSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M2 7h20v13H2z" opacity=".25"/>
    <path d="M2 5h20v3H2zM4 10h2v8H4zm4 0h2v8H8zm4 0h2v8h-2zm4 0h2v8h-2z"/>
  </g></svg>`;

export const containerIcon = new LabIcon({ name: 'labcontainer:containers', svgstr: containerIconSvg });

/**
 * The labcontainer side panel: containers, GPUs and container kernels.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'labcontainer:panel',
  description: 'Your Podman containers, GPUs and container kernels in a side panel.',
  autoStart: true,
  optional: [ILayoutRestorer],
  activate: (app: JupyterFrontEnd, restorer: ILayoutRestorer | null) => {
    // The poll rests while the side panel is closed or the browser tab is hidden.
    let shown: () => boolean = () => true;
    const model = new ContainersModel({
      client,
      refreshLauncher: () => app.serviceManager.kernelspecs.refreshSpecs(),
      standby: () => !shown() || 'when-hidden'
    });
    const panel = new ContainersPanel(model);
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
    app.commands.addCommand('labcontainer:open-panel', {
      label: 'Show Containers Panel',
      execute: () => app.shell.activateById(panel.id)
    });
  }
};

export default plugin;
