/** Run-time checks of an answer's top-level shape (the types say the rest). */
import { ApiError, isErrorKind } from '../errors';
import type { ErrorKind } from '../generated/rest';

export type Check = (value: unknown) => boolean;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const isString: Check = value => typeof value === 'string';
export const isBoolean: Check = value => typeof value === 'boolean';
export const nullable =
  (check: Check): Check =>
  value =>
    value === null || check(value);
/** A property the server may leave out (e.g. `connection`: which server answered). */
export const optional =
  (check: Check): Check =>
  value =>
    value === undefined || check(value);
export const isArray: Check = value => Array.isArray(value);
export const isStrings: Check = value => Array.isArray(value) && value.every(item => typeof item === 'string');
/** An array of records that each have a string `name` (what the panel keys rows by). */
export const isNamedRecords: Check = value =>
  Array.isArray(value) && value.every(item => isObject(item) && typeof item.name === 'string');
export const isNamedRecord: Check = value => isObject(value) && typeof value.name === 'string';

/** A type guard for an object whose listed properties each pass their check. */
export function shaped<T>(shape: { [K in keyof T]-?: Check }): (value: unknown) => value is T {
  const checks: [string, Check][] = Object.entries(shape);
  return (value: unknown): value is T =>
    isObject(value) && checks.every(([key, check]) => check(value[key]));
}

/** The body of a 4xx/5xx answer, or an error record of a stream. */
export const isErrorBody = shaped<{ error: { kind: unknown; message: string } }>({
  error: value => isObject(value) && isString(value.message)
});

/** The error kind a body names, HTTPError when it names one this version does not know. */
export function errorKindOf(body: { error: { kind: unknown } }): ErrorKind {
  return isErrorKind(body.error.kind) ? body.error.kind : 'HTTPError';
}

/** What an answer must look like: its guard, and words for the error when it does not. */
export interface IAnswer<T> {
  /** The request, e.g. "GET containers". */
  what: string;
  /** The expected shape in words, e.g. '{"containers": [...]}'. */
  shape: string;
  guard: (value: unknown) => value is T;
}

/** The answer itself when it has its shape; else an InternalError naming both. */
export function expectShape<T>(data: unknown, answer: IAnswer<T>): T {
  if (!answer.guard(data)) {
    throw new ApiError(
      `The server's answer to ${answer.what} does not have the expected shape ${answer.shape}. ` +
        'Are the labcontainer Python package and its JupyterLab extension the same version?',
      'InternalError',
      200
    );
  }
  return data;
}
