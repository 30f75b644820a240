import { ApiError } from '../src/errors';
import { ContainersModel } from '../src/model';
import { KernelFormView } from '../src/views/kernelspecs';
import { FakeClient } from './fakes';

/** The form as the panel's template lays it out. */
const FORM = `
  <label>Image <select name="image" class="lc-Image"></select></label>
  <label>GPUs <input name="gpus" class="lc-GpusInput"/></label>
  <label>Name in the launcher <input name="display_name" class="lc-DisplayName"/></label>
  <label>Kernels kept ready <input type="number" name="pool" class="lc-PoolInput" min="0" max="8" step="1" value="0"/></label>
  <button type="submit" class="lc-CreateKernel jp-Button">Add to launcher</button>
  <div class="lc-FormMessage" role="status"></div>`;

describe('KernelFormView', () => {
  let form: HTMLFormElement;
  let client: FakeClient;
  let model: ContainersModel;
  let confirmReplace: jest.Mock<Promise<boolean>, [string]>;
  let view: KernelFormView;

  const message = (): HTMLElement => form.querySelector<HTMLElement>('.lc-FormMessage')!;
  const fill = (displayName: string): void => {
    form.querySelector<HTMLInputElement>('.lc-DisplayName')!.value = displayName;
  };
  const poolInput = (): HTMLInputElement => form.querySelector<HTMLInputElement>('.lc-PoolInput')!;

  beforeEach(async () => {
    form = document.createElement('form');
    form.className = 'lc-KernelForm';
    form.innerHTML = FORM;
    document.body.appendChild(form);
    client = new FakeClient();
    model = new ContainersModel({ client, autoStart: false });
    await model.refresh();
    confirmReplace = jest.fn((_message: string) => Promise.resolve(true));
    view = new KernelFormView(form, { onSubmit: body => model.createKernelspec(body), confirmReplace });
    view.updateImages(model.images);
  });

  afterEach(() => {
    model.dispose();
    form.remove();
  });

  it('adds a kernel without asking when the name is free', async () => {
    fill('First');
    await view.submit();
    expect(confirmReplace).not.toHaveBeenCalled();
    expect(client.createKernelspec).toHaveBeenCalledTimes(1);
    expect(client.createKernelspec.mock.calls[0][0].replace).toBeUndefined();
    expect(message().textContent).toBe('Added “First” to the launcher.');
    expect(message().className).toBe('lc-FormMessage lc-ok');
  });

  it('without an image, points to the panel\'s own Pull form, not a magic (#24 item 5)', async () => {
    view.updateImages([]);
    await view.submit();
    expect(client.createKernelspec).not.toHaveBeenCalled();
    expect(message().textContent).toBe('Choose an image, or type a registry image (pull one now with the Pull form under Images).');
    expect(message().textContent).not.toContain('%container');
  });

  it('asks before replacing a container kernel of the same name, and replaces it after yes', async () => {
    fill('First');
    await view.submit();
    fill('Second'); // same image and GPUs: the server gives the same name
    await view.submit();
    expect(confirmReplace).toHaveBeenCalledTimes(1);
    expect(confirmReplace.mock.calls[0][0]).toContain("'lc-new'");
    const bodies = client.createKernelspec.mock.calls.map(call => call[0]);
    expect(bodies.map(body => body.replace)).toEqual([undefined, undefined, true]);
    expect(bodies[2]).toEqual({ image: 'localhost/pytorch:latest', display_name: 'Second', replace: true });
    expect(message().textContent).toBe('Replaced “Second” in the launcher.');
    expect(model.kernelspecs.filter(spec => spec.name === 'lc-new').map(spec => spec.display_name)).toEqual([
      'Second'
    ]);
  });

  it('replaces nothing when the user says no', async () => {
    fill('First');
    await view.submit();
    confirmReplace.mockImplementation(() => Promise.resolve(false));
    fill('Second');
    await view.submit();
    expect(confirmReplace).toHaveBeenCalledTimes(1);
    expect(client.createKernelspec.mock.calls.map(call => call[0].replace)).toEqual([undefined, undefined]);
    expect(model.kernelspecs.filter(spec => spec.name === 'lc-new').map(spec => spec.display_name)).toEqual([
      'First'
    ]);
    expect(message().textContent).toContain('Nothing was changed');
    // The user's typing stays, so a different choice needs no retyping.
    expect(form.querySelector<HTMLInputElement>('.lc-DisplayName')!.value).toBe('Second');
  });

  it('never offers to replace someone else’s kernelspec, and shows the refusal whole', async () => {
    const refusal =
      "There is already a kernelspec named 'lc-new' in /home/alice/.local/share/jupyter/kernels/lc-new, and " +
      'labcontainer did not make it, so it was left as it is. Choose another name for the container kernel ' +
      "(--name); labcontainer never replaces or shadows someone else's kernel.";
    client.createKernelspec.mockImplementationOnce(() => Promise.reject(new ApiError(refusal, 'ForeignKernelspec', 409)));
    fill('Mine');
    await view.submit();
    expect(confirmReplace).not.toHaveBeenCalled();
    expect(client.createKernelspec).toHaveBeenCalledTimes(1);
    expect(message().textContent).toBe(refusal);
    expect(message().className).toBe('lc-FormMessage lc-down');
  });

  it('shows a message with the container’s own line whole', async () => {
    const refusal =
      'The image localhost/labcontainer-python:latest has Python but no ipykernel, so a container kernel could ' +
      'not start in it; no kernelspec was written. Install ipykernel in the image (pip install ipykernel), or ' +
      "let labcontainer mount this server's ipykernel into it.\nModuleNotFoundError: No module named 'ipykernel'";
    client.createKernelspec.mockImplementationOnce(() => Promise.reject(new ApiError(refusal, 'ImageLacksIpykernel', 400)));
    await view.submit();
    expect(message().textContent).toBe(refusal); // the whole text, its line break kept
    expect(message().className).toBe('lc-FormMessage lc-down');
  });

  it('says what the server notes about a new kernel', async () => {
    client.note = 'The image localhost/x:1 is not on this machine yet: it will be pulled, and checked when the kernel first starts.';
    fill('Later');
    await view.submit();
    expect(message().textContent).toBe(`Added “Later” to the launcher. ${client.note}`);
  });

  it('sends the number of kernels kept ready, and the field is back at 0 after', async () => {
    fill('Ready');
    poolInput().value = '3';
    await view.submit();
    expect(client.createKernelspec.mock.calls[0][0]).toEqual({ image: 'localhost/pytorch:latest', display_name: 'Ready', pool: 3 });
    expect(message().textContent).toBe('Added “Ready” to the launcher.');
    expect(model.kernelspecs.find(spec => spec.name === 'lc-new')?.pool).toBe(3);
    expect(poolInput().value).toBe('0');
  });

  it('leaves pool out of the body at 0 or empty, so the body is what it was before pools', () => {
    fill('Plain');
    poolInput().value = '2';
    expect(view.body()).toEqual({ image: 'localhost/pytorch:latest', display_name: 'Plain', pool: 2 });
    for (const value of ['0', '']) {
      poolInput().value = value;
      const body = view.body()!;
      expect(body).toEqual({ image: 'localhost/pytorch:latest', display_name: 'Plain' });
      expect('pool' in body).toBe(false);
    }
  });

  it('sends a pool with count=N GPUs and shows the server’s refusal whole, the choices kept', async () => {
    // The server's own words (kernels/config.py): the form does not repeat its rules.
    const refusal =
      'A pool needs fixed GPUs, and gpus=count=1 chooses them when the kernel starts. ' +
      'Name the GPUs (e.g. --gpus 0 or --gpus all), or leave the pool out (--pool 0).';
    client.createKernelspec.mockImplementationOnce(() => Promise.reject(new ApiError(refusal, 'InvalidSpec', 400)));
    form.querySelector<HTMLInputElement>('.lc-GpusInput')!.value = 'count=1';
    poolInput().value = '2';
    await view.submit();
    expect(client.createKernelspec.mock.calls[0][0]).toEqual({ image: 'localhost/pytorch:latest', gpus: 'count=1', pool: 2 });
    expect(message().textContent).toBe(refusal);
    expect(message().className).toBe('lc-FormMessage lc-down');
    expect(poolInput().value).toBe('2');
    expect(form.querySelector<HTMLInputElement>('.lc-GpusInput')!.value).toBe('count=1');
  });
});
