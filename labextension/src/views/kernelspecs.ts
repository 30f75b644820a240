/** The container kernels in the launcher, and the form that adds one. */
import { ApiError } from '../errors';
import type { ConnectionsAnswer, Image, Kernelspec, KernelspecAnswer, KernelspecCreate } from '../generated/rest';
import { isReachable, LOCAL } from '../servers';
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
        if (spec.connection.length > 0) {
          // Where its kernels run, when not on this machine (several: the order a launch tries).
          row.append(element('span', 'lc-KernelServer lc-Detail', `on ${spec.connection.join(' or ')}`));
        }
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
    /** The user chose another server in the *Server* select (the panel then offers its images). */
    onServerChange?: (name: string) => void;
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
    this._server = form.querySelector<HTMLSelectElement>('.lc-ServerSelect');
    this._server?.addEventListener('change', () => {
      if (this.server !== undefined) {
        this.options.onServerChange?.(this.server);
      }
    });
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

  /**
   * Offer these servers in the *Server* select, shown only when there are several: this
   * machine and each of the user's connections, the default chosen until the user chooses.
   */
  updateServers(answer: ConnectionsAnswer): void {
    const select = this._server;
    if (!select) {
      return;
    }
    const several = answer.connections.length > 1;
    const label = select.closest('label') ?? select;
    setProperty(label, 'hidden', !several);
    const offered = answer.connections.map(({ name }) => name);
    const previous = Array.from(select.options, option => option.value);
    if (offered.join('\n') !== previous.join('\n')) {
      const chosen = select.value;
      select.replaceChildren(...offered.map(name => new Option(name === LOCAL ? 'this machine (local)' : name, name)));
      select.value = previous.length > 0 && offered.includes(chosen) ? chosen : answer.default;
    }
    for (const option of Array.from(select.options)) {
      const connection = answer.connections.find(({ name }) => name === option.value);
      const state = connection && !isReachable(connection) ? connection.state : '';
      setProperty(option, 'title', state);
      const words = option.value === LOCAL ? 'this machine (local)' : option.value;
      setText(option, state ? `${words} (unreachable)` : words);
    }
  }

  /** The server chosen in the *Server* select; undefined while there is only one. */
  get server(): string | undefined {
    const select = this._server;
    const label = select?.closest('label') ?? select;
    return select && !label?.hidden && select.value ? select.value : undefined;
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
    // This machine is what a kernelspec without `connection` means: only another server is sent.
    const server = this.server;
    if (server !== undefined && server !== LOCAL) {
      body.connection = server;
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
  private readonly _server: HTMLSelectElement | null;
}

/** A textarea's non-empty lines, trimmed (volumes and NAME=VALUE settings, one per line). */
function lines(field: HTMLTextAreaElement | null): string[] {
  return (field?.value ?? '')
    .split('\n')
    .map(line => line.trim())
    .filter(line => line.length > 0);
}
