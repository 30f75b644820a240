/** The terminal websocket into a container (docs/rest-api.md, Terminal). */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { TerminalMode } from '../generated/rest';

export interface ITerminalQuery {
  /** A new process (`podman exec -it`, the default) or the container's own terminal. */
  mode?: TerminalMode;
  /** exec only: the command, split like a shell (default: bash if there, else sh). */
  cmd?: string;
  user?: string;
  workdir?: string;
  /** Back to a terminal the server keeps (after a page reload); the rest is then ignored. */
  session?: string;
  /** The server the container is on (a podman connection's name); absent: the default one. */
  connection?: string;
}

/**
 * The websocket URL of a terminal into a container. The token goes in the query the way
 * JupyterLab's own terminals send it (`appendToken`): a browser cannot set headers on a
 * websocket; without a token the login cookie authenticates.
 */
export function terminalUrl(
  name: string,
  query: ITerminalQuery = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (typeof value === 'string' && value !== '') {
      params[key] = value;
    }
  }
  if (settings.appendToken && settings.token !== '') {
    params.token = settings.token;
  }
  const search = Object.keys(params).length > 0 ? URLExt.objectToQueryString(params) : '';
  return URLExt.join(settings.wsUrl, 'labcontainer', 'api', 'containers', encodeURIComponent(name), 'terminal') + search;
}
