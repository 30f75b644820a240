/** The kernel form (#24 item 9): every name of every local image, a registry image typed in,
 * and volumes and environment (KernelContainerConfig has them). */
import type { Image } from '../src/generated/rest';
import { ContainersModel } from '../src/model';
import { KernelFormView } from '../src/views/kernelspecs';
import { FakeClient } from './fakes';

const FORM = `
  <label>Image <select name="image" class="lc-Image"></select></label>
  <label>or from a registry <input name="registry_image" class="lc-ImageTyped"/></label>
  <label>GPUs <input name="gpus" class="lc-GpusInput"/></label>
  <label>Volumes <textarea name="volumes" class="lc-Volumes"></textarea></label>
  <label>Environment <textarea name="env" class="lc-Env"></textarea></label>
  <label>Name in the launcher <input name="display_name" class="lc-DisplayName"/></label>
  <label>Kernels kept ready <input type="number" name="pool" class="lc-PoolInput" value="0"/></label>
  <button type="submit" class="lc-CreateKernel jp-Button">Add to launcher</button>
  <div class="lc-FormMessage" role="status"></div>`;

function image(id: string, tags: string[]): Image {
  return { id: `sha256:${id}`, short_id: id, name: tags[0] ?? id, tags, size: 1, created: null };
}

describe('the kernel form', () => {
  let form: HTMLFormElement;
  let client: FakeClient;
  let model: ContainersModel;
  let view: KernelFormView;
  const field = <T extends HTMLElement>(selector: string): T => form.querySelector<T>(selector)!;

  beforeEach(async () => {
    form = document.createElement('form');
    form.innerHTML = FORM;
    document.body.appendChild(form);
    client = new FakeClient();
    client.images = [
      image('k', ['localhost/labcontainer-kernel:latest', 'localhost/lab/kernel:1']), // one id, two names
      image('p', ['localhost/pytorch:latest']),
      image('d', []) // dangling: no name to offer
    ];
    model = new ContainersModel({ client, autoStart: false });
    await model.refresh();
    view = new KernelFormView(form, { onSubmit: body => model.createKernelspec(body), confirmReplace: () => Promise.resolve(false) });
    view.updateImages(model.images);
  });

  afterEach(() => {
    model.dispose();
    form.remove();
  });

  it('offers every name of every image, a name sharing its id with another included', () => {
    const offered = Array.from(field<HTMLSelectElement>('.lc-Image').options, option => option.value);
    expect(offered).toEqual(['localhost/lab/kernel:1', 'localhost/labcontainer-kernel:latest', 'localhost/pytorch:latest']);
  });

  it('takes a registry image typed in, and volumes and environment one per line', async () => {
    field<HTMLInputElement>('.lc-ImageTyped').value = ' nvcr.io/nvidia/pytorch:24.05-py3 ';
    field<HTMLTextAreaElement>('.lc-Volumes').value = '/srv/data:/data:ro\n\n  /scratch:/scratch \n';
    field<HTMLTextAreaElement>('.lc-Env').value = 'OMP_NUM_THREADS=8\nWANDB_MODE=offline';
    field<HTMLInputElement>('.lc-DisplayName').value = 'PyTorch 24.05';
    await view.submit();
    expect(client.createKernelspec.mock.calls[0][0]).toEqual({
      image: 'nvcr.io/nvidia/pytorch:24.05-py3',
      volumes: ['/srv/data:/data:ro', '/scratch:/scratch'],
      env: ['OMP_NUM_THREADS=8', 'WANDB_MODE=offline'],
      display_name: 'PyTorch 24.05'
    });
    expect(field<HTMLInputElement>('.lc-ImageTyped').value).toBe(''); // emptied once added
    expect(field<HTMLTextAreaElement>('.lc-Volumes').value).toBe('');
  });

  it('sends the image chosen in the list when nothing is typed, and no empty lists', () => {
    field<HTMLSelectElement>('.lc-Image').value = 'localhost/labcontainer-kernel:latest';
    expect(view.body()).toEqual({ image: 'localhost/labcontainer-kernel:latest' });
  });
});
