/** Help > Labcontainer Help: the README's "Using it" section in a tab. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';

import { CATEGORY, COMMANDS, containerIcon } from '../tokens';
import { HelpWidget } from '../views/help';

export const helpPlugin: JupyterFrontEndPlugin<void> = {
  id: 'labcontainer:help-page',
  description: 'How to use labcontainer (the Help menu entry is declared in schema/panel.json).',
  autoStart: true,
  optional: [ICommandPalette, IRenderMimeRegistry],
  activate: (app: JupyterFrontEnd, palette: ICommandPalette | null, rendermime: IRenderMimeRegistry | null) => {
    let help: HelpWidget | null = null;
    app.commands.addCommand(COMMANDS.help, {
      label: 'Labcontainer Help',
      caption: 'How to use labcontainer: magics, panels, container kernels (from its README)',
      execute: () => {
        if (!help || help.isDisposed) {
          help = new HelpWidget(rendermime);
          help.title.icon = containerIcon;
          app.shell.add(help, 'main');
        }
        app.shell.activateById(help.id);
      }
    });
    palette?.addItem({ command: COMMANDS.help, category: CATEGORY });
  }
};
