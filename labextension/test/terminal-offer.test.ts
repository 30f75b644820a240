import { queryOf, readOffer, TERMINAL_MIME_TYPE, terminalOfferFactory } from '../src/views/terminalOffer';

describe('the terminal offered by %container exec -it in a notebook', () => {
  it('reads the bundle the magic writes and refuses anything else', () => {
    expect(readOffer({ container: 'train', mode: 'exec', cmd: ['python3', '-q'] })).toEqual({
      container: 'train',
      mode: 'exec',
      cmd: ['python3', '-q']
    });
    expect(readOffer({ container: 'train', mode: 'attach' })).toEqual({ container: 'train', mode: 'attach', cmd: [] });
    expect(readOffer({ container: 'train', mode: 'sideways' })).toBeNull();
    expect(readOffer('train')).toBeNull();
  });

  it('turns it into the websocket query, words shell-quoted', () => {
    expect(queryOf({ container: 'x', mode: 'exec', cmd: [] })).toEqual({ mode: 'exec', cmd: '' });
    expect(queryOf({ container: 'x', mode: 'exec', cmd: ['python3', '-c', "print('hi there')"] })).toEqual({
      mode: 'exec',
      cmd: "python3 -c 'print('\\''hi there'\\'')'"
    });
    expect(queryOf({ container: 'x', mode: 'attach', cmd: ['ignored'] })).toEqual({ mode: 'attach' });
  });

  it('opens another server’s container there: the offer’s connection goes into the query', () => {
    const offer = readOffer({ container: 'train', mode: 'exec', cmd: ['bash'], connection: 'gpu2' });
    expect(offer).toEqual({ container: 'train', mode: 'exec', cmd: ['bash'], connection: 'gpu2' });
    expect(queryOf(offer!)).toEqual({ mode: 'exec', cmd: 'bash', connection: 'gpu2' });
    expect(queryOf({ container: 'x', mode: 'attach', cmd: [], connection: 'gpu2' })).toEqual({ mode: 'attach', connection: 'gpu2' });
  });

  it('shows an Open terminal button that opens a tab on that container', async () => {
    const opened: [string, unknown][] = [];
    const factory = terminalOfferFactory((name, query) => {
      opened.push([name, query]);
      return Promise.resolve();
    });
    expect(factory.mimeTypes).toEqual([TERMINAL_MIME_TYPE]);
    const renderer = factory.createRenderer({} as never);
    const data = { [TERMINAL_MIME_TYPE]: { container: 'train', mode: 'exec', cmd: ['bash'] } };
    await renderer.renderModel({ data, metadata: {}, trusted: true, setData: () => undefined });
    const button = renderer.node.querySelector('button');
    expect(button?.textContent).toBe('Open terminal');
    button?.click();
    expect(opened).toEqual([['train', { mode: 'exec', cmd: 'bash' }]]);
  });
});
