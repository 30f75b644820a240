/** A container's log: its last lines (GET containers/{name}/logs), or followed as they come. */
import { ApiError } from '../errors';
import type { LogsAnswer, LogsEnd, LogsStreamRecord } from '../generated/rest';
import { errorKindOf, isErrorBody, isString, shaped } from './checks';
import { MalformedLineError, readNdjson } from './ndjson';
import { failure, requestAPI, send, withConnection } from './request';

const isLogsAnswer = shaped<LogsAnswer>({
  lines: value => Array.isArray(value) && value.every(isString)
});
const isLogsEnd = shaped<LogsEnd>({ end: value => value === true });

export async function containerLogs(name: string, tail = 200, connection?: string): Promise<string[]> {
  const answer = await requestAPI('GET', ['containers', name, 'logs'], {
    query: withConnection({ tail: String(tail) }, connection),
    answer: { guard: isLogsAnswer, what: 'GET containers/{name}/logs', shape: '{"lines": [...]}' }
  });
  return answer.lines;
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
  /** The server the container is on (a connection name); absent: the default one. */
  connection?: string;
}

/**
 * Follow a container's log (GET containers/{name}/logs?follow=1, newline-delimited JSON):
 * resolves when the container stopped or the signal aborted; rejects with ApiError when
 * the server reports a failure or the stream is cut off.
 */
export async function followLogs(name: string, options: IFollowOptions): Promise<FollowEnd> {
  const { signal, onLines } = options;
  const query = withConnection({ tail: String(options.tail), follow: '1' }, options.connection);
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
  try {
    for await (const values of readNdjson(reader)) {
      const lines: string[] = [];
      let ended = false;
      for (const record of values.map(toRecord)) {
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
    throw error instanceof MalformedLineError ? notARecord() : cutOff(name);
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

function notARecord(): ApiError {
  return new ApiError(
    'A record of the log stream does not have the expected shape {"lines"}, {"end"} or {"error"}. ' +
      'Are the labcontainer Python package and its JupyterLab extension the same version?',
    'InternalError',
    200
  );
}

/** One record of the stream, checked. */
function toRecord(data: unknown): LogsStreamRecord {
  if (isLogsAnswer(data) || isLogsEnd(data)) {
    return data;
  }
  if (isErrorBody(data)) {
    return { error: { kind: errorKindOf(data), message: data.error.message } };
  }
  throw notARecord();
}
