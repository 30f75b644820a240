import type { FollowEnd, IFollowOptions } from '../src/client';
import { ApiError } from '../src/errors';
import type {
  Container,
  Gpu,
  GpuView,
  Image,
  ImageRemoved,
  Kernelspec,
  KernelspecAnswer,
  KernelspecCreate,
  Pull,
  Status
} from '../src/generated/rest';
import type { IContainersClient } from '../src/model';

export function container(name: string, overrides: Partial<Container> = {}): Container {
  return {
    id: `${name}`.padEnd(64, '0'),
    short_id: `${name}`.padEnd(12, '0'),
    name,
    image: 'localhost/pytorch:latest',
    state: 'running',
    status: 'Up 3 minutes',
    created: '2024-05-01T10:00:00+00:00',
    started_at: '2024-05-01T10:00:01+00:00',
    command: ['sleep', 'infinity'],
    ports: [],
    gpus: ['nvidia.com/gpu=0'],
    labels: { 'org.labcontainer.managed': 'true' },
    exit_code: null,
    pid: 1234,
    managed: true,
    purpose: 'container',
    ...overrides
  };
}

/** A kernel's image pull half done, as GET pulls lists it. */
export function pull(fields: Partial<Pull> = {}): Pull {
  return {
    image: '127.0.0.1:5100/lab/torch:2',
    kernel_id: '1a2b3c4d-5e6f',
    message: 'Downloading 5f6d9f26578c: 15.1 MB of 33.6 MB',
    downloaded: 15_100_000,
    total: 33_600_000,
    fraction: 0.45,
    elapsed: 7.5,
    ...fields
  };
}

export function gpu(index: number, overrides: Partial<Gpu> = {}): Gpu {
  return {
    index,
    uuid: `GPU-${index}`,
    name: 'NVIDIA A100',
    memory_used: 2 ** 30,
    memory_total: 40 * 2 ** 30,
    utilization: 37,
    temperature: 54,
    power_draw: 120.5,
    power_limit: 400,
    error: null,
    free: false,
    processes: [],
    containers: ['train'],
    holders: ['train'],
    ...overrides
  };
}

export const STATUS: Status = {
  connected: true,
  message: null,
  url: 'unix:///run/user/1000/podman/podman.sock',
  rootless: true,
  version: '4.9.3',
  started_by_labcontainer: false,
  note: null
};

/** Fresh copies every call, as a real server answers new JSON each time. */
export function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A client whose answers the test sets; every function is a jest.fn. */
export class FakeClient implements IContainersClient {
  status: Status = STATUS;
  containers: Container[] = [container('train'), container('notebook', { state: 'exited', pid: null })];
  gpus: GpuView = { available: true, reason: null, driver_version: '550.54', gpus: [gpu(0), gpu(1, { free: true, containers: [] })] };
  images: Image[] = [
    { id: 'sha256:1', short_id: '1', name: 'localhost/pytorch:latest', tags: ['localhost/pytorch:latest'], size: 1, created: null }
  ];
  kernelspecs: Kernelspec[] = [
    { name: 'lc-pytorch-gpu0', display_name: 'PyTorch (GPU 0)', image: 'localhost/pytorch:latest', gpus: '0', volumes: [], language: 'python', pool: 0, connection: [] }
  ];

  /** What GET pulls answers. */
  pulls: Pull[] = [];

  getStatus = jest.fn(() => Promise.resolve(copy(this.status)));
  listPulls = jest.fn(() => Promise.resolve(copy(this.pulls)));
  listContainers = jest.fn((_scope?: 'mine' | 'labcontainer') => Promise.resolve(copy(this.containers)));
  getGpus = jest.fn(() => Promise.resolve(copy(this.gpus)));
  listImages = jest.fn(() => Promise.resolve(copy(this.images)));
  listKernelspecs = jest.fn(() => Promise.resolve(copy(this.kernelspecs)));
  containerAction = jest.fn((name: string, action: 'start' | 'stop' | 'restart') => {
    const found = this.containers.find(item => item.name === name);
    if (!found) {
      return Promise.reject(new Error(`no ${name}`));
    }
    found.state = action === 'stop' ? 'exited' : 'running';
    return Promise.resolve(copy(found));
  });
  removeContainer = jest.fn((name: string, _force?: boolean) => {
    this.containers = this.containers.filter(item => item.name !== name);
    return Promise.resolve();
  });
  /** Set to make POST kernelspecs answer with a note. */
  note: string | undefined = undefined;
  /** Like the server: a taken name is refused unless `replace` is true. */
  createKernelspec = jest.fn((body: KernelspecCreate): Promise<KernelspecAnswer> => {
    const spec: Kernelspec = {
      name: body.name ?? 'lc-new',
      display_name: body.display_name ?? 'New',
      image: body.image,
      gpus: body.gpus ?? null,
      volumes: [],
      language: 'python',
      pool: body.pool ?? 0,
      connection: body.connection === undefined ? [] : ([] as string[]).concat(body.connection)
    };
    const taken = this.kernelspecs.find(item => item.name === spec.name);
    if (taken && !body.replace) {
      const message =
        `A container kernel named '${spec.name}' (image ${taken.image}) already exists in /home/alice/.local/share/jupyter/kernels/${spec.name}. ` +
        'It is replaced only when you ask for it (--replace, or "replace": true over REST); otherwise choose another name.';
      return Promise.reject(new ApiError(message, 'KernelspecExists', 409));
    }
    this.kernelspecs = [...this.kernelspecs.filter(item => item !== taken), spec];
    return Promise.resolve(copy(this.note === undefined ? { kernelspec: spec } : { kernelspec: spec, note: this.note }));
  });
  pullImage = jest.fn((image: string) =>
    Promise.resolve({ image, kernel_id: null, message: `Pulling ${image}`, downloaded: 0, total: 0, fraction: null, elapsed: 0 })
  );
  removeImage = jest.fn((name: string, _force?: boolean): Promise<ImageRemoved | null> => {
    this.images = this.images.filter(image => !image.tags.includes(name));
    return Promise.resolve(null);
  });
  removeKernelspec = jest.fn((name: string) => {
    this.kernelspecs = this.kernelspecs.filter(spec => spec.name !== name);
    return Promise.resolve();
  });
}

interface IOpenStream {
  name: string;
  tail: number;
  signal: AbortSignal;
  onLines: (lines: string[]) => void;
  resolve: (end: FollowEnd) => void;
  reject: (error: unknown) => void;
}

/**
 * A client.followLogs whose stream the test drives, as the server would: send() lines,
 * end() when the container stops, fail(). An aborted stream resolves 'aborted', as the
 * real one does, and may still deliver lines it had read (late()).
 */
export class FakeLogStream {
  readonly streams: IOpenStream[] = [];

  follow = jest.fn((name: string, options: IFollowOptions) =>
    new Promise<FollowEnd>((resolve, reject) => {
      this.streams.push({ name, tail: options.tail, signal: options.signal, onLines: options.onLines, resolve, reject });
      options.signal.addEventListener('abort', () => resolve('aborted'));
    })
  );

  /** The stream opened last. */
  get current(): IOpenStream {
    const stream = this.streams[this.streams.length - 1];
    if (!stream) {
      throw new Error('no stream was opened');
    }
    return stream;
  }

  send(...lines: string[]): void {
    this.current.onLines(lines);
  }

  end(): void {
    this.current.resolve('ended');
  }

  fail(error: unknown): void {
    this.current.reject(error);
  }
}

/** Let pending promise callbacks run. */
export function settle(): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, 0));
}
