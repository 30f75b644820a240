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
  ImagesAnswer,
  Kernelspec,
  KernelspecAnswer,
  KernelspecCreate,
  KernelspecsAnswer,
  LogsAnswer,
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

export async function getGpus(): Promise<GpuView> {
  const data = await request('GET', ['gpus']);
  return expect(data, isGpuView, 'GET gpus', '{"available", "reason", "driver_version", "gpus"}');
}

export async function listImages(): Promise<Image[]> {
  const data = await request('GET', ['images']);
  return expect(data, isImagesAnswer, 'GET images', '{"images": [...]}').images;
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
  body?: ContainerCreate | KernelspecCreate
): Promise<unknown> {
  const settings = ServerConnection.makeSettings();
  const path = segments.map(encodeURIComponent).join('/');
  const search = query ? URLExt.objectToQueryString(query) : '';
  const url = URLExt.join(settings.baseUrl, 'labcontainer', 'api', path) + search;
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch {
    throw new ApiError('Cannot reach the Jupyter server. Is it still running?', 'NetworkError', 0);
  }
  const text = await response.text();
  let data: unknown = null;
  let parsed = true;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      parsed = false;
    }
  }
  if (!response.ok) {
    if (isErrorBody(data)) {
      const kind = isErrorKind(data.error.kind) ? data.error.kind : 'HTTPError';
      throw new ApiError(data.error.message, kind, response.status);
    }
    const reason = response.statusText ? ` ${response.statusText}` : '';
    throw new ApiError(`The server answered ${response.status}${reason}.`, 'HTTPError', response.status);
  }
  if (!parsed) {
    throw new ApiError(
      `The server's answer to ${method} ${segments[0]} is not JSON.`,
      'InternalError',
      response.status
    );
  }
  return data;
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
const isKernelspecAnswer = shaped<KernelspecAnswer>({
  kernelspec: isNamedRecord,
  note: value => value === undefined || isString(value)
});
const isLogsAnswer = shaped<LogsAnswer>({
  lines: value => Array.isArray(value) && value.every(isString)
});
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
