import { type IChunkReader, MalformedLineError, readNdjson } from '../src/client/ndjson';

/** A body reader that gives these pieces one read at a time (bytes may be cut anywhere). */
function pieces(...chunks: (string | Uint8Array)[]): IChunkReader {
  const encoder = new TextEncoder();
  let index = 0;
  return {
    read: () => {
      const chunk = chunks[index++];
      if (chunk === undefined) {
        return Promise.resolve({ done: true });
      }
      return Promise.resolve({ done: false, value: typeof chunk === 'string' ? encoder.encode(chunk) : chunk });
    }
  };
}

/** Every batch the reader yields, until it ends or throws. */
async function batches(reader: IChunkReader): Promise<unknown[][]> {
  const seen: unknown[][] = [];
  for await (const batch of readNdjson(reader)) {
    seen.push(batch);
  }
  return seen;
}

describe('readNdjson', () => {
  it('joins a line split across chunks, one batch per chunk', async () => {
    expect(await batches(pieces('{"a": 1}\n{"b"', ': 2}\n{"c": 3}\n'))).toEqual([[{ a: 1 }], [{ b: 2 }, { c: 3 }], []]);
  });

  it('joins a character split across chunks', async () => {
    const bytes = new TextEncoder().encode('{"s": "é"}\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside the two bytes of é
    expect((await batches(pieces(bytes.slice(0, cut), bytes.slice(cut)))).flat()).toEqual([{ s: 'é' }]);
  });

  it('reads a last line that has no newline when the stream ends', async () => {
    expect((await batches(pieces('{"a": 1}\n{"end": tr', 'ue}'))).flat()).toEqual([{ a: 1 }, { end: true }]);
  });

  it('skips an empty chunk and blank keep-alive lines', async () => {
    expect(await batches(pieces('', '\n', '{"a": 1}\n\n  \n'))).toEqual([[], [], [{ a: 1 }], []]);
  });

  it('throws on a malformed line, after the values before it', async () => {
    const seen: unknown[][] = [];
    const reading = (async () => {
      for await (const batch of readNdjson(pieces('{"a": 1}\n{"a": 2}\n{oops\n{"a": 3}\n'))) {
        seen.push(batch);
      }
    })();
    await expect(reading).rejects.toBeInstanceOf(MalformedLineError);
    await expect(reading).rejects.toMatchObject({ line: '{oops' });
    expect(seen).toEqual([[{ a: 1 }, { a: 2 }]]);
  });

  it('throws on a malformed last line without newline', async () => {
    await expect(batches(pieces('{"a": 1}\n{"a"'))).rejects.toBeInstanceOf(MalformedLineError);
  });
});
