/** "Open Terminal in Container…" from the palette: the running containers of the server the
 * panel shows by default, which may be another one than this machine (the podman CLI makes the
 * first connection added the default); the terminal then opens there (plugins/terminals.ts). */
const showDialog = jest.fn((_options: unknown) => Promise.resolve({ button: { accept: true } }));
const getItem = jest.fn((_options: unknown) => Promise.resolve({ button: { accept: true }, value: 'train' }));

jest.mock('@jupyterlab/apputils', () => ({
  showDialog: (options: unknown) => showDialog(options),
  InputDialog: { getItem: (options: unknown) => getItem(options) },
  Dialog: { okButton: () => ({ label: 'Ok' }), cancelButton: () => ({ label: 'Cancel' }), warnButton: (options: unknown) => options }
}));

import { ContainersModel } from '../src/model';
import { type IPick, pickContainer } from '../src/plugins/pick';
import { FakeClient, STATUS } from './fakes';

const PICK: IPick = {
  title: 'Open a terminal in',
  okLabel: 'Open',
  none: 'No running container to open a terminal in',
  noneText: 'No container is running.',
  runningOnly: true
};

describe('picking a container for a terminal', () => {
  let client: FakeClient;
  let model: ContainersModel;

  beforeEach(() => {
    showDialog.mockClear();
    getItem.mockClear();
    client = new FakeClient();
    model = new ContainersModel({ client, autoStart: false, events: null });
  });

  afterEach(() => model.dispose());

  it('offers this machine’s running containers', async () => {
    client.status = { ...STATUS, connection: 'local' };
    expect(await pickContainer(model, PICK)).toBe('train');
    expect(getItem).toHaveBeenCalledTimes(1);
  });

  it('offers another server’s running containers too, when the panel shows that one', async () => {
    client.status = { ...STATUS, connection: 'gpu2' };
    expect(await pickContainer(model, PICK)).toBe('train');
    expect(getItem).toHaveBeenCalledTimes(1);
    expect(showDialog).not.toHaveBeenCalled();
  });
});
