import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { ErrorBody } from './generated/rest';

/** An API failure with the server's one-paragraph message for the user. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly kind: string,
    readonly status: number
  ) {
    super(message);
  }
}

/**
 * Call labcontainer's REST API under `labcontainer/api/`.
 * Errors become ApiError carrying the server's readable message.
 */
export async function requestAPI<T>(
  endPoint: string,
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'labcontainer', 'api', endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError(
      'Cannot reach the Jupyter server. Is it still running?',
      'NetworkError',
      0
    );
  }
  const text = await response.text();
  let data: any = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const body = data as ErrorBody | null;
    const message =
      body?.error?.message ??
      `The server answered ${response.status} ${response.statusText}.`;
    throw new ApiError(message, body?.error?.kind ?? 'HTTPError', response.status);
  }
  return data as T;
}
