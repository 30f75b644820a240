/** "Open Terminal in Container…" from the palette when the panel's server is another one:
 * the podman CLI makes the first connection added the default, and a terminal opens only in
 * this machine's containers, so the pick says why instead of offering the other server's. */
const showDialog = jest.fn((_options: unknown) => Promise.resolve({ button: { accept: true } }));
const getItem = jest.fn((_options: unknown) => Promise.resolve({ button: { accept: true }, value: 'train' }));

jest.mock('@jupyterlab/apputils', () => ({
  showDialog: (options: unknown) => showDialog(options),
  InputDialog: { getItem: (options: unknown) => getItem(options) },
  Dialog: { okButton: () => ({ label: 'Ok' }), cancelButton: () => ({ label: 'Cancel' }), warnButton: (options: unknown) => options }
}));

import { ContainersModel } from '../src/model';
import { type IPick, pickContainer } from '../src/plugins/pick';
import { terminalRefusal } from '../src/servers';
import { FakeClient, STATUS } from './fakes';

const PICK: IPick = {
  title: 'Open a terminal in',
  okLabel: 'Open',
  none: 'No running container to open a terminal in',
  noneText: 'No container is running.',
  runningOnly: true,
  refusal: model => terminalRefusal(model.status?.connection)
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

  it('says why when the panel’s server is another one, offering none of its containers', async () => {
    client.status = { ...STATUS, connection: 'gpu2' };
    expect(await pickContainer(model, PICK)).toBeNull();
    expect(getItem).not.toHaveBeenCalled();
    const shown = showDialog.mock.lastCall![0] as { title: string; body: { node: HTMLElement } };
    expect(shown.body.node.textContent).toContain("serves this machine's Podman, not gpu2's");
  });
});
