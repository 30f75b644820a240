/** The container kernels in the launcher, and the form that adds one. */
import { ApiError } from '../errors';
import type { Image, Kernelspec, KernelspecAnswer, KernelspecCreate } from '../generated/rest';
import { element, find, setProperty, setText } from './dom';

export namespace KernelspecsView {
  export interface IOptions {
    onRemove: (spec: Kernelspec) => void;
  }
}

/** The list of labcontainer's kernelspecs; redrawn only when it changed. */
export class KernelspecsView {
  constructor(
    readonly host: HTMLElement,
    private readonly options: KernelspecsView.IOptions
  ) {}

  update(specs: readonly Kernelspec[]): void {
    if (specs.length === 0) {
      this.host.replaceChildren(element('p', 'lc-Empty', 'None yet: use the form above.'));
      return;
    }
    this.host.replaceChildren(
      ...specs.map(spec => {
        const row = element('div', 'lc-Kernelspec');
        row.dataset.name = spec.name;
        row.title = `${spec.image}${spec.gpus ? ` · GPU ${spec.gpus}` : ''}`;
        const remove = element('button', 'jp-Button lc-RemoveKernelspec', 'Remove');
        remove.addEventListener('click', () => this.options.onRemove(spec));
        row.append(element('span', 'lc-Name', spec.display_name));
        if (spec.pool > 0) {
          // Each waiting kernel holds a container: say how many, so the containers list is no surprise.
          row.append(element('span', 'lc-Pool lc-Detail', `${spec.pool} kept ready`));
        }
        row.append(remove);
        return row;
      })
    );
  }
}

export namespace KernelFormView {
  export interface IOptions {
    /** Create the kernelspec; resolves to the server's answer or rejects with a readable Error. */
    onSubmit: (body: KernelspecCreate) => Promise<KernelspecAnswer>;
    /**
     * The name is taken by one of labcontainer's container kernels (the server's message
     * says which): resolve true to replace it. Without an answer of true nothing is replaced.
     */
    confirmReplace: (message: string) => Promise<boolean>;
  }
}

/** The kernel form's one sentence of help about the magics. */
export const KERNEL_FORM_HELP =
  'A container kernel runs only its image: %container and %gpus (%load_ext labcontainer) work in the ' +
  'Python 3 kernel, not in a container kernel, where they end in ModuleNotFoundError.';

/**
 * The "New container kernel" form (.lc-KernelForm). It never replaces a container kernel
 * silently: when the server says the name is taken (same image and GPUs give the same
 * name), it asks, and sends `replace: true` only after a yes.
 */
export class KernelFormView {
  constructor(
    readonly form: HTMLFormElement,
    private readonly options: KernelFormView.IOptions
  ) {
    this._select = find<HTMLSelectElement>(form, '.lc-Image');
    this._typed = form.querySelector<HTMLInputElement>('.lc-ImageTyped');
    this._volumes = form.querySelector<HTMLTextAreaElement>('.lc-Volumes');
    this._env = form.querySelector<HTMLTextAreaElement>('.lc-Env');
    this._gpus = find<HTMLInputElement>(form, '.lc-GpusInput');
    this._displayName = find<HTMLInputElement>(form, '.lc-DisplayName');
    this._pool = find<HTMLInputElement>(form, '.lc-PoolInput');
    this._message = find(form, '.lc-FormMessage');
    // Said where the kernel is made: in a container kernel, %load_ext labcontainer ends in a
    // ModuleNotFoundError that labcontainer cannot word (it is not in the image).
    this._message.before(element('p', 'lc-FormHelp lc-Detail', KERNEL_FORM_HELP));
    form.addEventListener('submit', event => {
      event.preventDefault();
      void this.submit();
    });
  }

  /**
   * Offer every name of these images (an image with several names is offered under each:
   * the documented localhost/labcontainer-kernel:latest shares its id with other names);
   * the current choice stays when still offered.
   */
  updateImages(images: readonly Image[]): void {
    const names = [...new Set(images.flatMap(image => image.tags))].sort();
    const shown = Array.from(this._select.options, option => option.value);
    if (names.join('\n') === shown.join('\n')) {
      return;
    }
    const previous = this._select.value;
    this._select.replaceChildren(...names.map(name => new Option(name, name)));
    if (names.includes(previous)) {
      this._select.value = previous;
    }
  }

  /** The request body the form describes, or null without an image. */
  body(): KernelspecCreate | null {
    // A registry image typed in wins over the list: the kernel's first start pulls it, with progress.
    const image = this._typed?.value.trim() || this._select.value;
    if (!image) {
      return null;
    }
    const body: KernelspecCreate = { image };
    const volumes = lines(this._volumes);
    if (volumes.length) {
      body.volumes = volumes;
    }
    const env = lines(this._env);
    if (env.length) {
      body.env = env;
    }
    const gpus = this._gpus.value.trim();
    if (gpus && gpus !== 'none') {
      body.gpus = gpus;
    }
    const displayName = this._displayName.value.trim();
    if (displayName) {
      body.display_name = displayName;
    }
    // Only a pool goes in the body: 0 (or an empty field) sends what the form sent before it.
    // The range and the GPU choice are the server's to check; its refusal is shown whole.
    const pool = Number(this._pool.value);
    if (pool > 0) {
      body.pool = pool;
    }
    return body;
  }

  async submit(): Promise<void> {
    const body = this.body();
    if (!body) {
      this._say('Choose an image, or type a registry image (pull one now with the Pull form under Images).', 'lc-down');
      return;
    }
    this._say('Creating…', '');
    try {
      let answer: KernelspecAnswer;
      let replaced = false;
      try {
        answer = await this.options.onSubmit(body);
      } catch (error) {
        if (!(error instanceof ApiError && error.kind === 'KernelspecExists')) {
          throw error;
        }
        if (!(await this.options.confirmReplace(error.message))) {
          this._say('Nothing was changed: the container kernel already in the launcher stays as it is.', '');
          return;
        }
        answer = await this.options.onSubmit({ ...body, replace: true });
        replaced = true;
      }
      const name = answer.kernelspec.display_name;
      const done = replaced ? `Replaced “${name}” in the launcher.` : `Added “${name}” to the launcher.`;
      this._say(answer.note ? `${done} ${answer.note}` : done, 'lc-ok');
      this._gpus.value = '';
      this._displayName.value = '';
      for (const field of [this._typed, this._volumes, this._env]) {
        if (field) {
          field.value = '';
        }
      }
      this._pool.value = '0';
    } catch (error) {
      // The whole message, wrapped by the stylesheet (.lc-FormMessage): a server message may
      // be a paragraph with the container's own words on a line of their own.
      this._say(error instanceof Error ? error.message : String(error), 'lc-down');
    }
  }

  private _say(text: string, state: '' | 'lc-ok' | 'lc-down'): void {
    setText(this._message, text);
    setProperty(this._message, 'className', `lc-FormMessage${state ? ` ${state}` : ''}`);
  }

  private readonly _select: HTMLSelectElement;
  private readonly _typed: HTMLInputElement | null;
  private readonly _volumes: HTMLTextAreaElement | null;
  private readonly _env: HTMLTextAreaElement | null;
  private readonly _gpus: HTMLInputElement;
  private readonly _displayName: HTMLInputElement;
  private readonly _pool: HTMLInputElement;
  private readonly _message: HTMLElement;
}

/** A textarea's non-empty lines, trimmed (volumes and NAME=VALUE settings, one per line). */
function lines(field: HTMLTextAreaElement | null): string[] {
  return (field?.value ?? '')
    .split('\n')
    .map(line => line.trim())
    .filter(line => line.length > 0);
}
