/**
 * What the extension's plugins share: the one model (provided by the panel plugin, required
 * by the others), the command ids and the icon.
 */
import { LabIcon } from '@jupyterlab/ui-components';
import { Token } from '@lumino/coreutils';

import type { ContainersModel } from './model';

/** The side panel's model: containers, GPUs, images, kernelspecs and pulls, kept fresh. */
export const IContainersModel = new Token<ContainersModel>(
  'labcontainer:IContainersModel',
  'The labcontainer model: containers, GPUs, images, container kernels and pulls of this server.'
);

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

/** The command palette's category of every command above. */
export const CATEGORY = 'Labcontainer';

const containerIconSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M2 7h20v13H2z" opacity=".25"/>
    <path d="M2 5h20v3H2zM4 10h2v8H4zm4 0h2v8H8zm4 0h2v8h-2zm4 0h2v8h-2z"/>
  </g></svg>`;

export const containerIcon = new LabIcon({ name: 'labcontainer:containers', svgstr: containerIconSvg });
