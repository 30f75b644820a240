/**
 * labcontainer's REST API (docs/rest-api.md, labcontainer/server/rest_schema.json),
 * one typed function per endpoint. Endpoint paths live in this file only.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { ApiError, isErrorKind } from './errors';
import {
  Container,
  ContainerAnswer,
  ContainerCreate,
  ContainersAnswer,
  GpuView,
  Image,
  ImagePull,
  ImagesAnswer,
  Kernelspec,
  KernelspecAnswer,
  KernelspecCreate,
  KernelspecsAnswer,
  LogsAnswer,
  LogsEnd,
  LogsStreamRecord,
  Pull,
  PullAnswer,
  PullsAnswer,
  Status
} from './generated/rest';

/** Which containers GET containers lists. */
export type Scope = 'mine' | 'labcontainer';

/** The container actions that answer the container afterwards. */
export type ContainerAction = 'start' | 'stop' | 'restart';

export async function listContainers(scope: Scope = 'mine'): Promise<Container[]> {
  const data = await request('GET', ['containers'], { scope, all: '1' });
  return expect(data, isContainersAnswer, 'GET containers', '{"containers": [...]}').containers;
}

export async function createContainer(body: ContainerCreate): Promise<Container> {
  const data = await request('POST', ['containers'], undefined, body);
  return expect(data, isContainerAnswer, 'POST containers', '{"container": {...}}').container;
}

export async function containerAction(name: string, action: ContainerAction): Promise<Container> {
  const data = await request('POST', ['containers', name, action]);
  return expect(data, isContainerAnswer, `POST containers/{name}/${action}`, '{"container": {...}}')
    .container;
}

export async function removeContainer(name: string, force = false): Promise<void> {
  await request('DELETE', ['containers', name], force ? { force: '1' } : undefined);
}

export async function containerLogs(name: string, tail = 200): Promise<string[]> {
  const data = await request('GET', ['containers', name, 'logs'], { tail: String(tail) });
  return expect(data, isLogsAnswer, 'GET containers/{name}/logs', '{"lines": [...]}').lines;
}

/** How a followed log ended: the container stopped ('ended'), or the caller aborted. */
export type FollowEnd = 'ended' | 'aborted';

export interface IFollowOptions {
  /** The last lines to send first (1..100000). */
  tail: number;
  /** Abort to stop following; the server then stops its follower. */
  signal: AbortSignal;
  /** Called with each batch of lines as they arrive, in order. */
  onLines: (lines: string[]) => void;
}

/**
 * Follow a container's log (GET containers/{name}/logs?follow=1, newline-delimited JSON):
 * resolves when the container stopped or the signal aborted; rejects with ApiError when
 * the server reports a failure or the stream is cut off.
 */
export async function followLogs(name: string, options: IFollowOptions): Promise<FollowEnd> {
  const { signal, onLines } = options;
  const query = { tail: String(options.tail), follow: '1' };
  let response: Response;
  try {
    response = await send('GET', ['containers', name, 'logs'], query, undefined, signal);
  } catch (error) {
    if (signal.aborted) {
      return 'aborted';
    }
    throw error;
  }
  if (!response.ok || !response.body) {
    throw failure(response, await response.text());
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      pending += decoder.decode(value, { stream: true });
      const records = pending.split('\n');
      pending = records.pop() ?? '';
      const lines: string[] = [];
      let ended = false;
      for (const text of records) {
        const record = parseRecord(text);
        if (record === null) {
          continue; // a keep-alive
        }
        if ('lines' in record) {
          for (const line of record.lines) {
            lines.push(line); // not push(...): a batch can hold thousands of lines
          }
        } else if ('end' in record) {
          ended = true;
        } else {
          onLines(lines);
          throw new ApiError(record.error.message, record.error.kind, response.status);
        }
      }
      if (lines.length > 0) {
        onLines(lines);
      }
      if (ended) {
        return 'ended';
      }
    }
  } catch (error) {
    if (signal.aborted) {
      return 'aborted';
    }
    if (error instanceof ApiError) {
      throw error;
    }
    throw cutOff(name);
  } finally {
    reader.releaseLock();
  }
  if (signal.aborted) {
    return 'aborted';
  }
  throw cutOff(name);
}

function cutOff(name: string): ApiError {
  return new ApiError(
    `The log of ${name} stopped arriving before its end (the connection to the Jupyter server was cut). ` +
      'Turn Follow off and on to read it again.',
    'NetworkError',
    0
  );
}

/** One record of the stream; null for a keep-alive blank line. */
function parseRecord(text: string): LogsStreamRecord | null {
  if (text.trim() === '') {
    return null;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (isLogsAnswer(data) || isLogsEnd(data)) {
    return data;
  }
  if (isErrorBody(data)) {
    const kind = isErrorKind(data.error.kind) ? data.error.kind : 'HTTPError';
    return { error: { kind, message: data.error.message } };
  }
  throw new ApiError(
    'A record of the log stream does not have the expected shape {"lines"}, {"end"} or {"error"}. ' +
      'Are the labcontainer Python package and its JupyterLab extension the same version?',
    'InternalError',
    200
  );
}

export async function getGpus(): Promise<GpuView> {
  const data = await request('GET', ['gpus']);
  return expect(data, isGpuView, 'GET gpus', '{"available", "reason", "driver_version", "gpus"}');
}

export async function listImages(): Promise<Image[]> {
  const data = await request('GET', ['images']);
  return expect(data, isImagesAnswer, 'GET images', '{"images": [...]}').images;
}

/** Start pulling an image in the background (202): GET pulls follows it, with `error` if it fails. */
export async function pullImage(image: string): Promise<Pull> {
  const data = await request('POST', ['images'], undefined, { image });
  return expect(data, isPullAnswer, 'POST images', '{"pull": {...}}').pull;
}

/** `podman rmi NAME`; an image a container uses rejects with ApiError kind 'ImageInUse' (409). */
export async function removeImage(name: string, force = false): Promise<void> {
  await request('DELETE', ['images', name], force ? { force: '1' } : undefined);
}

/** The pulls the server is making now (a container kernel waiting for its image). */
export async function listPulls(): Promise<Pull[]> {
  const data = await request('GET', ['pulls']);
  return expect(data, isPullsAnswer, 'GET pulls', '{"pulls": [...]}').pulls;
}

export async function listKernelspecs(): Promise<Kernelspec[]> {
  const data = await request('GET', ['kernelspecs']);
  return expect(data, isKernelspecsAnswer, 'GET kernelspecs', '{"kernelspecs": [...]}').kernelspecs;
}

/**
 * Add a container kernel. A name already taken rejects with ApiError kind
 * 'KernelspecExists' (labcontainer's: send again with `replace: true` to replace it) or
 * 'ForeignKernelspec' (someone else's: never replaced).
 */
export async function createKernelspec(body: KernelspecCreate): Promise<KernelspecAnswer> {
  const data = await request('POST', ['kernelspecs'], undefined, body);
  return expect(data, isKernelspecAnswer, 'POST kernelspecs', '{"kernelspec": {...}, "note"?: "..."}');
}

export async function removeKernelspec(name: string): Promise<void> {
  await request('DELETE', ['kernelspecs', name]);
}

export async function getStatus(): Promise<Status> {
  const data = await request('GET', ['status']);
  return expect(data, isStatus, 'GET status', '{"connected", "message", "url", "rootless", "version"}');
}

/** How a terminal joins a container: a new process (`podman exec -it`) or its own terminal. */
export type TerminalMode = 'exec' | 'attach';

export interface ITerminalQuery {
  mode?: TerminalMode;
  /** exec only: the command, split like a shell (default: bash if there, else sh). */
  cmd?: string;
  user?: string;
  workdir?: string;
  /** Back to a terminal the server keeps (after a page reload); the rest is then ignored. */
  session?: string;
}

/**
 * The websocket URL of a terminal into a container (docs/rest-api.md, Terminal). The token
 * goes in the query the way JupyterLab's own terminals send it (`appendToken`): a browser
 * cannot set headers on a websocket; without a token the login cookie authenticates.
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

// ---------------------------------------------------------------------------
// Transport

type Method = 'GET' | 'POST' | 'DELETE';

/**
 * One call under `labcontainer/api/`; path segments are URL-encoded. Answers the parsed
 * JSON body (null when empty); failures become ApiError with the server's message.
 */
async function request(
  method: Method,
  segments: string[],
  query?: Record<string, string>,
  body?: ContainerCreate | KernelspecCreate | ImagePull
): Promise<unknown> {
  const response = await send(method, segments, query, body);
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
  return data;
}

/** Send one request; an unreachable server becomes ApiError('NetworkError'). */
async function send(
  method: Method,
  segments: string[],
  query?: Record<string, string>,
  body?: ContainerCreate | KernelspecCreate | ImagePull,
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
function failure(response: Response, text: string): ApiError {
  let data: unknown = null;
  try {
    data = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (isErrorBody(data)) {
    const kind = isErrorKind(data.error.kind) ? data.error.kind : 'HTTPError';
    return new ApiError(data.error.message, kind, response.status);
  }
  const reason = response.statusText ? ` ${response.statusText}` : '';
  return new ApiError(`The server answered ${response.status}${reason}.`, 'HTTPError', response.status);
}

// ---------------------------------------------------------------------------
// Run-time checks of an answer's top-level shape

type Check = (value: unknown) => boolean;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString: Check = value => typeof value === 'string';
const isBoolean: Check = value => typeof value === 'boolean';
const nullable =
  (check: Check): Check =>
  value =>
    value === null || check(value);
const isArray: Check = value => Array.isArray(value);
/** An array of records that each have a string `name` (what the panel keys rows by). */
const isNamedRecords: Check = value =>
  Array.isArray(value) && value.every(item => isObject(item) && typeof item.name === 'string');
const isNamedRecord: Check = value => isObject(value) && typeof value.name === 'string';

/** A type guard for an object whose listed properties each pass their check. */
function shaped<T>(shape: { [K in keyof T]-?: Check }): (value: unknown) => value is T {
  const checks: [string, Check][] = Object.entries(shape);
  return (value: unknown): value is T =>
    isObject(value) && checks.every(([key, check]) => check(value[key]));
}

const isContainersAnswer = shaped<ContainersAnswer>({ containers: isNamedRecords });
const isContainerAnswer = shaped<ContainerAnswer>({ container: isNamedRecord });
const isImagesAnswer = shaped<ImagesAnswer>({ images: isNamedRecords });
const isKernelspecsAnswer = shaped<KernelspecsAnswer>({ kernelspecs: isNamedRecords });
const isPullsAnswer = shaped<PullsAnswer>({
  pulls: value => Array.isArray(value) && value.every(pull => isObject(pull) && isString(pull.image))
});
const isPullAnswer = shaped<PullAnswer>({ pull: value => isObject(value) && isString(value.image) });
const isKernelspecAnswer = shaped<KernelspecAnswer>({
  kernelspec: isNamedRecord,
  note: value => value === undefined || isString(value)
});
const isLogsAnswer = shaped<LogsAnswer>({
  lines: value => Array.isArray(value) && value.every(isString)
});
const isLogsEnd = shaped<LogsEnd>({ end: value => value === true });
const isGpuView = shaped<GpuView>({
  available: isBoolean,
  reason: nullable(isString),
  driver_version: nullable(isString),
  gpus: isArray
});
const isStatus = shaped<Status>({
  connected: isBoolean,
  message: nullable(isString),
  url: nullable(isString),
  rootless: nullable(isBoolean),
  version: nullable(isString)
});
const isErrorBody = shaped<{ error: { kind: unknown; message: string } }>({
  error: value => isObject(value) && isString(value.message)
});

function expect<T>(data: unknown, guard: (value: unknown) => value is T, what: string, shape: string): T {
  if (!guard(data)) {
    throw new ApiError(
      `The server's answer to ${what} does not have the expected shape ${shape}. ` +
        'Are the labcontainer Python package and its JupyterLab extension the same version?',
      'InternalError',
      200
    );
  }
  return data;
}
