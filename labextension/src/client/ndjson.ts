/**
 * Newline-delimited JSON from a streamed answer (the followed log): one JSON value per line,
 * lines cut anywhere between chunks, blank lines (keep-alives) skipped.
 */

/** What is read here of a response body's reader (a fake in tests). */
export interface IChunkReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
}

/** A line of the stream that is not JSON. */
export class MalformedLineError extends Error {
  constructor(readonly line: string) {
    super(`Not a JSON line: ${line.length > 80 ? `${line.slice(0, 80)}…` : line}`);
    this.name = 'MalformedLineError';
  }
}

/**
 * The stream's values, one batch per chunk read (a batch may be empty: a chunk without a
 * whole line). A last line without its newline is read when the stream ends. A line that is
 * not JSON throws MalformedLineError, after the values before it in its chunk were yielded.
 */
export async function* readNdjson(reader: IChunkReader): AsyncGenerator<unknown[], void, undefined> {
  const decoder = new TextDecoder();
  let pending = '';
  for (;;) {
    const { done, value } = await reader.read();
    pending += done ? decoder.decode() : decoder.decode(value, { stream: true });
    const lines = pending.split('\n');
    pending = done ? '' : (lines.pop() ?? '');
    yield* parseLines(lines);
    if (done) {
      return;
    }
  }
}

function* parseLines(lines: string[]): Generator<unknown[], void, undefined> {
  const values: unknown[] = [];
  for (const line of lines) {
    if (line.trim() === '') {
      continue;
    }
    try {
      values.push(JSON.parse(line));
    } catch {
      if (values.length > 0) {
        yield values;
      }
      throw new MalformedLineError(line);
    }
  }
  yield values;
}
