// Generated from labcontainer/server/rest_schema.json by labextension/scripts/generate-types.mjs. Do not edit: run `jlpm gen:types`.
/* eslint-disable */

/**
 * A container's state as Podman reports it.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "ContainerState".
 */
export type ContainerState =
  | 'created'
  | 'running'
  | 'paused'
  | 'exited'
  | 'stopped'
  | 'configured'
  | 'initialized'
  | 'removing'
  | 'stopping'
  | 'unknown';
/**
 * What labcontainer started a container for (its purpose label).
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "Purpose".
 */
export type Purpose = 'container' | 'kernel';
/**
 * Which containers GET containers lists (query ?scope=): mine (all of the user's containers, the default) or labcontainer (the ones labcontainer started).
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "Scope".
 */
export type Scope = 'mine' | 'labcontainer';
/**
 * The actions of POST containers/{name}/{action}; each answers the container afterwards (ContainerAnswer).
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "ContainerAction".
 */
export type ContainerAction = 'start' | 'stop' | 'restart';
/**
 * How the terminal websocket (containers/{name}/terminal?mode=) joins a container: exec (the default: a new process, podman exec -it) or attach (the container's own terminal, podman attach).
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "TerminalMode".
 */
export type TerminalMode = 'exec' | 'attach';
/**
 * The labcontainer exception class name of a failure, or HTTPError/InternalError from the server, or NetworkError when the client could not reach the server.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "ErrorKind".
 */
export type ErrorKind =
  | 'InvalidSpec'
  | 'ServiceUnavailable'
  | 'ServicePermissionDenied'
  | 'NotFoundError'
  | 'ContainerNotFound'
  | 'ImageNotFound'
  | 'ImageInUse'
  | 'KernelspecNotFound'
  | 'KernelspecExists'
  | 'ForeignKernelspec'
  | 'ImageLacksIpykernel'
  | 'NameInUse'
  | 'PullFailed'
  | 'TooBusy'
  | 'RootlessSetupError'
  | 'NoSubuidRange'
  | 'PodmanNeedsMigrate'
  | 'RuntimeDirNotOwned'
  | 'GpuDeviceUnknown'
  | 'NotSupportedHere'
  | 'ContainerStateError'
  | 'PodmanError'
  | 'KernelStartError'
  | 'HTTPError'
  | 'InternalError'
  | 'NetworkError';
/**
 * One line of the answer of GET containers/{name}/logs?follow=1 (Content-Type application/x-ndjson: one JSON record per line, blank lines are keep-alives to skip). LogsAnswer records carry the log's lines in order, the first ones the last `tail` lines; the stream ends with one LogsEnd record when the container stopped, or one ErrorBody record when following failed. The server stops following when the client closes the request.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "LogsStreamRecord".
 */
export type LogsStreamRecord = LogsAnswer | LogsEnd | ErrorBody;
/**
 * Any message on the events websocket (server to client only; the server ignores what clients send). One follower of Podman's events per server feeds every socket; it runs only while a socket is open. Clients ignore a `kind` they do not know (a newer server may send more).
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "EventsMessage".
 */
export type EventsMessage =
  EventsHello | EventsContainerNotice | EventsImageNotice | EventsKernelNotice | EventsPodmanNotice;

/**
 * One container as `podman ps` shows it.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "Container".
 */
export interface Container {
  /**
   * 64 hex digits.
   */
  id: string;
  /**
   * The first 12 hex digits of id.
   */
  short_id: string;
  name: string;
  image: string;
  state: ContainerState;
  /**
   * Human words, e.g. "Up 3 minutes".
   */
  status: string;
  /**
   * ISO 8601; null when Podman does not say.
   */
  created: string | null;
  /**
   * ISO 8601, or null when never started.
   */
  started_at: string | null;
  command: string[];
  ports: string[];
  /**
   * CDI names, e.g. nvidia.com/gpu=0.
   */
  gpus: string[];
  labels: {
    [k: string]: string | undefined;
  };
  /**
   * null while the container never exited.
   */
  exit_code: number | null;
  /**
   * null when the container is not running.
   */
  pid: number | null;
  /**
   * Whether labcontainer created this container.
   */
  managed: boolean;
  purpose: Purpose | null;
  /**
   * Only on a container kernel's container: its kernel id, whether this server runs that kernel (then stop/restart restart the kernel and DELETE shuts it down), and the notebook it serves when Jupyter knows it.
   */
  kernel?: {
    id: string;
    ours: boolean;
    notebook: string | null;
  };
}
/**
 * A process using a GPU, and who it belongs to.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "GpuProcess".
 */
export interface GpuProcess {
  pid: number;
  /**
   * Bytes; null when the driver does not say.
   */
  used_memory: number | null;
  user: string | null;
  container_id: string | null;
  container_name: string | null;
  /**
   * How its container is shown: "kernel of train.ipynb" for a kernel's container (its notebook known), else the container's name; null for a host process.
   */
  holder: string | null;
}
/**
 * One GPU with its use.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "Gpu".
 */
export interface Gpu {
  index: number;
  uuid: string;
  name: string;
  /**
   * Bytes.
   */
  memory_used: number | null;
  /**
   * Bytes.
   */
  memory_total: number | null;
  /**
   * Percent.
   */
  utilization: number | null;
  /**
   * Celsius.
   */
  temperature: number | null;
  /**
   * Watts.
   */
  power_draw: number | null;
  /**
   * Watts.
   */
  power_limit: number | null;
  /**
   * Set when this GPU could not be read.
   */
  error: string | null;
  /**
   * Nobody runs anything on it (and it could be read).
   */
  free: boolean;
  processes: GpuProcess[];
  /**
   * Names of running containers that asked for this GPU (labcontainer's labels).
   */
  containers: string[];
  /**
   * `containers` as they are shown: a kernel's container as "kernel of train.ipynb" (its notebook known), one waiting in a pool as "kernel kept ready (SPEC)", any other by its name.
   */
  holders: string[];
}
/**
 * The answer of GET gpus.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "GpuView".
 */
export interface GpuView {
  available: boolean;
  /**
   * Why no GPU can be read, when available is false.
   */
  reason: string | null;
  driver_version: string | null;
  gpus: Gpu[];
  /**
   * The server that answered: a connection name (`local`: this machine's Podman). Every endpoint takes ?connection=NAME (absent: the default connection).
   */
  connection?: string;
}
/**
 * One local image.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "Image".
 */
export interface Image {
  id: string;
  short_id: string;
  /**
   * The first tag, or short_id when untagged.
   */
  name: string;
  tags: string[];
  /**
   * Bytes.
   */
  size: number;
  /**
   * ISO 8601.
   */
  created: string | null;
}
/**
 * What DELETE images/{name} did (podman rmi NAME): the names taken off, the image ids deleted. When only the name went, why the image stays: its other names, and the containers (any state) that use it.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "ImageRemoved".
 */
export interface ImageRemoved {
  /**
   * The name (or id) asked for.
   */
  image: string;
  untagged: string[];
  /**
   * Image ids deleted; empty when the image stays.
   */
  deleted: string[];
  /**
   * When the image stays: the names it still has.
   */
  other_names: string[];
  /**
   * When the image stays: the containers that use it (their names).
   */
  used_by: string[];
}
/**
 * The answer of DELETE images/{name} (200).
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "ImageRemovedAnswer".
 */
export interface ImageRemovedAnswer {
  removed: ImageRemoved;
}
/**
 * A container kernelspec installed by labcontainer.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "Kernelspec".
 */
export interface Kernelspec {
  name: string;
  display_name: string;
  image: string;
  /**
   * e.g. "0", "0,1", "all"; null for no GPU.
   */
  gpus: string | null;
  volumes: string[];
  language: string;
  /**
   * How many kernels of this kernelspec wait, started in advance (0: none; a launch then starts a container).
   */
  pool: number;
  /**
   * The server(s) its kernels run on: podman connection names, in the order a launch tries them ([]: this machine).
   */
  connection: string[];
}
/**
 * The answer of GET status: can labcontainer reach Podman?
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "Status".
 */
export interface Status {
  connected: boolean;
  message: string | null;
  url: string | null;
  rootless: boolean | null;
  version: string | null;
  /**
   * The server that answered: a connection name (`local`: this machine's Podman). Every endpoint takes ?connection=NAME (absent: the default connection).
   */
  connection?: string;
  /**
   * True when no Podman service was answering and labcontainer started one for this member (under a hub); it stops with the server.
   */
  started_by_labcontainer: boolean;
  /**
   * One paragraph saying so when labcontainer started the Podman service, for the side panel; else null.
   */
  note: string | null;
}
/**
 * One server: `local` (this machine's Podman) or one of the user's `podman system connection`s.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "Connection".
 */
export interface Connection {
  name: string;
  uri: string;
  /**
   * The one a request without ?connection= talks to.
   */
  default: boolean;
  /**
   * "reachable", or "unreachable since HH:MM: why".
   */
  state: string;
}
/**
 * The body of every 4xx/5xx answer.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "ErrorBody".
 */
export interface ErrorBody {
  error: {
    kind: ErrorKind;
    /**
     * One paragraph to show to the user as it is.
     */
    message: string;
  };
}
/**
 * The answer of GET containers.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "ContainersAnswer".
 */
export interface ContainersAnswer {
  containers: Container[];
  /**
   * The server that answered: a connection name (`local`: this machine's Podman). Every endpoint takes ?connection=NAME (absent: the default connection).
   */
  connection?: string;
}
/**
 * The answer of POST containers and of the start/stop/restart actions.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "ContainerAnswer".
 */
export interface ContainerAnswer {
  container: Container;
}
/**
 * The answer of GET connections: every server, each asked now.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "ConnectionsAnswer".
 */
export interface ConnectionsAnswer {
  connections: Connection[];
  default: string;
}
/**
 * The answer of GET images.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "ImagesAnswer".
 */
export interface ImagesAnswer {
  images: Image[];
  /**
   * The server that answered: a connection name (`local`: this machine's Podman). Every endpoint takes ?connection=NAME (absent: the default connection).
   */
  connection?: string;
}
/**
 * A pull this server is making now (a container kernel whose image is missing pulls it before it starts; the side panel's pull form starts one with POST images), or one started by POST images that failed in the last 60 seconds (with `error`).
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "Pull".
 */
export interface Pull {
  image: string;
  /**
   * The kernel waiting for this image; null for a pull no kernel asked for.
   */
  kernel_id: string | null;
  /**
   * Podman's last step, e.g. "Downloading 5f6d9f26578c: 4.1 MB of 33.6 MB".
   */
  message: string;
  /**
   * Bytes so far, all layers.
   */
  downloaded: number;
  /**
   * Bytes of the layers whose size Podman has reported (it grows; 0 when Podman reports no byte counts).
   */
  total: number;
  /**
   * 0..1 of the bytes known so far; null before any byte count.
   */
  fraction: number | null;
  /**
   * Seconds since the pull began.
   */
  elapsed: number;
  /**
   * Only on a pull started by POST images that failed (listed for 60 seconds after it ended): why, as an error answer's kind and message.
   */
  error?: {
    /**
     * The labcontainer exception class name (see ErrorKind), e.g. PullFailed.
     */
    kind: string;
    /**
     * One paragraph to show to the user as it is; Podman's text on its own lines after it.
     */
    message: string;
  };
}
/**
 * The answer of GET pulls: the pulls running now, oldest first (usually none).
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "PullsAnswer".
 */
export interface PullsAnswer {
  pulls: Pull[];
  /**
   * The server that answered: a connection name (`local`: this machine's Podman). Every endpoint takes ?connection=NAME (absent: the default connection).
   */
  connection?: string;
}
/**
 * The answer of POST images (202): the pull just started (or the one already running for that image), as GET pulls lists it.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "PullAnswer".
 */
export interface PullAnswer {
  pull: Pull;
}
/**
 * The answer of GET kernelspecs (labcontainer's only).
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "KernelspecsAnswer".
 */
export interface KernelspecsAnswer {
  kernelspecs: Kernelspec[];
}
/**
 * The answer of POST kernelspecs.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "KernelspecAnswer".
 */
export interface KernelspecAnswer {
  kernelspec: Kernelspec;
  /**
   * Present when the user should know something about the new kernelspec, e.g. that its image is not on this machine yet and will be checked for ipykernel when the kernel first starts.
   */
  note?: string;
}
/**
 * The answer of GET containers/{name}/logs (without follow=1).
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "LogsAnswer".
 */
export interface LogsAnswer {
  lines: string[];
}
/**
 * The last record of a followed log when the container stopped: every line has been sent.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "LogsEnd".
 */
export interface LogsEnd {
  end: true;
}
/**
 * The first message on the events websocket (ws(s)://HOST{base_url}labcontainer/api/events). `connected`: whether the server's follower reaches Podman's event stream now; null when it has not tried yet (it starts with the first socket).
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "EventsHello".
 */
export interface EventsHello {
  kind: 'hello';
  connected?: boolean | null;
  /**
   * The server whose notices this socket carries (?connection=NAME on the socket's URL, else the default connection).
   */
  connection?: string;
}
/**
 * A container changed (Podman's event, e.g. a `podman stop` in a terminal): `name` is the container, `status` Podman's word for what happened (create, start, died, stop, remove, ...). It says what changed, not the new state: ask GET containers again.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "EventsContainerNotice".
 */
export interface EventsContainerNotice {
  kind: 'containers';
  name: string;
  status: string;
}
/**
 * An image changed (Podman's event, e.g. a `podman pull`, `podman rmi` or `podman tag` in a terminal): `name` is the image as Podman names it, `action` Podman's word (pull, remove, tag, untag, ...; Podman also reports a `pull` when a container is created from a local image). It says what changed, not the new state: ask GET images again.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "EventsImageNotice".
 */
export interface EventsImageNotice {
  kind: 'images';
  name: string;
  action: string;
}
/**
 * A container kernel changed: Jupyter started, restarted or shut it down (`start`, `restart`, `shutdown`, announced once Jupyter has done it), or its container died (`died`, from Podman's event, before Jupyter's restarter notices). `name` is its container (lc-kernel-<kernel_id>). Ask GET containers again: the row's `kernel` field (ours, notebook) may have changed even when the container did not.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "EventsKernelNotice".
 */
export interface EventsKernelNotice {
  kind: 'kernels';
  kernel_id: string;
  name: string;
  action: 'start' | 'restart' | 'shutdown' | 'died';
}
/**
 * The server's follower lost (false) or regained (true) Podman's event stream, e.g. when the service restarts. Changes while it was away were not announced: refresh on true.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "EventsPodmanNotice".
 */
export interface EventsPodmanNotice {
  kind: 'podman';
  connected: boolean;
}
/**
 * The body of POST containers. Self-contained (no references) so it can be validated on its own.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "ContainerCreate".
 */
export interface ContainerCreate {
  image: string;
  name?: string;
  /**
   * none, 0, 0,1, all or count=N.
   */
  gpus?: string;
  /**
   * HOST:CONTAINER[:ro]
   */
  volumes?: string[];
  /**
   * KEY=VALUE
   */
  env?: string[];
  /**
   * [IP:]HOST:CONTAINER[/PROTO]
   */
  ports?: string[];
  command?: string[];
  /**
   * e.g. 8g
   */
  shm_size?: string;
  workdir?: string;
}
/**
 * The body of POST kernelspecs: the kernelspec's name and display name, the container kernel's settings (KernelContainerConfig's fields) and replace. Self-contained (no references) so it can be validated on its own.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "KernelspecCreate".
 */
export interface KernelspecCreate {
  image: string;
  display_name?: string;
  /**
   * The kernelspec's name (a folder name): up to 64 lower-case letters, digits, '_', '.' and '-'. Default: lc-<image>[-gpu<GPUs>].
   */
  name?: string;
  /**
   * none, 0, 0,1, all or count=N.
   */
  gpus?: string;
  /**
   * HOST:CONTAINER[:ro]
   */
  volumes?: string[];
  /**
   * NAME=VALUE
   */
  env?: string[];
  /**
   * Size of /dev/shm, e.g. 8g.
   */
  shm_size?: string;
  /**
   * Container network (default: Podman's default).
   */
  network?: string;
  /**
   * Extra labels on the kernel container; org.labcontainer.* are reserved.
   */
  labels?: {
    [k: string]: string | undefined;
  };
  /**
   * ipc (the default: no TCP port at all) or tcp (127.0.0.1 only).
   */
  transport?: 'ipc' | 'tcp';
  /**
   * Mount the notebook's folder at the same path (default true).
   */
  mount_workdir?: boolean;
  /**
   * Mount this server's ipykernel into an image that lacks it (default false). When false, an image on this machine is checked for ipykernel before the kernelspec is written.
   */
  inject_ipykernel?: boolean;
  /**
   * Seconds the kernel may take to open its sockets, 1 to 3600 (default 60).
   */
  startup_timeout?: number;
  /**
   * Kernels kept started in advance, 0 to 8 (default 0). A launch takes a waiting one and another is started in the background. Needs the ipc transport and fixed GPUs (not count=N).
   */
  pool?: number;
  /**
   * The server(s) the kernel runs on: podman connection names (GET connections). One name, or several with gpus count=N: a launch goes to the first of them with N free GPUs. Default: this machine. A pool is refused for another server.
   */
  connection?: string | string[];
  /**
   * Replace a labcontainer kernelspec of the same name (default false: 409 KernelspecExists). A kernelspec labcontainer did not make is never replaced (409 ForeignKernelspec).
   */
  replace?: boolean;
}
/**
 * The body of POST images: the image to pull, e.g. 127.0.0.1:5100/lab/python:latest or docker.io/library/python:3.12. Self-contained (no references) so it can be validated on its own.
 *
 * This interface was referenced by `LabcontainerRest`'s JSON-Schema
 * via the `definition` "ImagePull".
 */
export interface ImagePull {
  image: string;
}

/** Every ErrorKind of the contract, for checking answers at run time. */
export const ERROR_KINDS: readonly ErrorKind[] = ['InvalidSpec', 'ServiceUnavailable', 'ServicePermissionDenied', 'NotFoundError', 'ContainerNotFound', 'ImageNotFound', 'ImageInUse', 'KernelspecNotFound', 'KernelspecExists', 'ForeignKernelspec', 'ImageLacksIpykernel', 'NameInUse', 'PullFailed', 'TooBusy', 'RootlessSetupError', 'NoSubuidRange', 'PodmanNeedsMigrate', 'RuntimeDirNotOwned', 'GpuDeviceUnknown', 'NotSupportedHere', 'ContainerStateError', 'PodmanError', 'KernelStartError', 'HTTPError', 'InternalError', 'NetworkError'];

/** Every ContainerState of the contract. */
export const CONTAINER_STATES: readonly ContainerState[] = ['created', 'running', 'paused', 'exited', 'stopped', 'configured', 'initialized', 'removing', 'stopping', 'unknown'];
