/**
 * The one transport of the REST client: every call under `labcontainer/api/` goes through
 * requestAPI (or send, for a streamed answer). Endpoint paths live in the resource modules.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { ApiError } from '../errors';
import type { ContainerCreate, ImagePull, KernelspecCreate } from '../generated/rest';
import { errorKindOf, expectShape, type IAnswer, isErrorBody } from './checks';

export type Method = 'GET' | 'POST' | 'DELETE';

/** The request bodies of the contract. */
export type Body = ContainerCreate | KernelspecCreate | ImagePull;

export interface IRequestOptions<T> {
  query?: Record<string, string>;
  body?: Body;
  /** The answer's shape; without it the answer is ignored (resolves undefined). */
  answer?: IAnswer<T>;
}

/**
 * One call under `labcontainer/api/`; path segments are URL-encoded. Answers the parsed
 * JSON body checked against `answer`; failures become ApiError with the server's message.
 */
export async function requestAPI<T = void>(
  method: Method,
  segments: string[],
  options: IRequestOptions<T> = {}
): Promise<T> {
  const response = await send(method, segments, options.query, options.body);
  const text = await response.text();
  if (!response.ok) {
    throw failure(response, text);
  }
  let data: unknown = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError(
        `The server's answer to ${method} ${segments[0]} is not JSON.`,
        'InternalError',
        response.status
      );
    }
  }
  return options.answer ? expectShape(data, options.answer) : (undefined as T);
}

/**
 * The query with `?connection=NAME` added when a connection is named (absent: the server's
 * default connection, docs/rest-api.md "Several servers").
 */
export function withConnection(
  query: Record<string, string> | undefined,
  connection: string | undefined
): Record<string, string> | undefined {
  return connection ? { ...query, connection } : query;
}

/** Send one request; an unreachable server becomes ApiError('NetworkError'). */
export async function send(
  method: Method,
  segments: string[],
  query?: Record<string, string>,
  body?: Body,
  signal?: AbortSignal
): Promise<Response> {
  const settings = ServerConnection.makeSettings();
  const path = segments.map(encodeURIComponent).join('/');
  const search = query ? URLExt.objectToQueryString(query) : '';
  const url = URLExt.join(settings.baseUrl, 'labcontainer', 'api', path) + search;
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
  }
  if (signal !== undefined) {
    init.signal = signal;
  }
  try {
    return await ServerConnection.makeRequest(url, init, settings);
  } catch {
    throw new ApiError('Cannot reach the Jupyter server. Is it still running?', 'NetworkError', 0);
  }
}

/** A failed answer as ApiError: the server's kind and message when it sent them. */
export function failure(response: Response, text: string): ApiError {
  let data: unknown = null;
  try {
    data = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (isErrorBody(data)) {
    return new ApiError(data.error.message, errorKindOf(data), response.status);
  }
  const reason = response.statusText ? ` ${response.statusText}` : '';
  return new ApiError(`The server answered ${response.status}${reason}.`, 'HTTPError', response.status);
}
