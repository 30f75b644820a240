/**
 * The labcontainer JupyterLab extension, one plugin per concern, sharing one model
 * (IContainersModel, provided by the panel plugin):
 * - labcontainer:panel           the side panel, its model and commands (show, refresh, new kernel)
 * - labcontainer:kernel-notices  a kernel's image pull and unexpected restarts, said in the notebook's window
 * - labcontainer:logs            a Logs tab per container
 * - labcontainer:terminals       terminal tabs into containers, restored after a reload; the notebook's offer
 * - labcontainer:kernel-terminal a terminal in a notebook's kernel's container (Kernel menu, toolbar)
 * - labcontainer:help-page       Help > Labcontainer Help
 */
import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { helpPlugin } from './plugins/help';
import { kernelTerminalPlugin } from './plugins/kernelTerminal';
import { logsPlugin } from './plugins/logs';
import { noticesPlugin } from './plugins/notices';
import { panelPlugin } from './plugins/panel';
import { terminalsPlugin } from './plugins/terminals';

export { COMMANDS, containerIcon, IContainersModel } from './tokens';

const plugins: JupyterFrontEndPlugin<unknown>[] = [
  panelPlugin,
  noticesPlugin,
  logsPlugin,
  terminalsPlugin,
  kernelTerminalPlugin,
  helpPlugin
];

export default plugins;
