/**
 * Several servers (docs/rest-api.md, "Several servers"): the side panel shows each of the
 * user's Podman connections in a section of its own, each with a model whose every request
 * names its server (`?connection=NAME`).
 */
import type { Connection } from './generated/rest';
import type { IContainersClient } from './model';
import type { Loaded } from './notices';

/** This machine's Podman, as GET connections names it. */
export const LOCAL = 'local';

/** What another server's section loads: the kernelspecs are this machine's, shown once. */
export const SERVER_SECTIONS: readonly Loaded[] = ['status', 'containers', 'gpus', 'images'];

/**
 * The client with every server-side call sent to one connection; `connection()` answering
 * undefined sends none (the server's default connection). Kernelspecs live on this machine
 * (their own `connection` field says where their kernels run), so they are sent as they are.
 */
export function boundClient(base: IContainersClient, connection: () => string | undefined): IContainersClient {
  return {
    getStatus: () => base.getStatus(connection()),
    listContainers: scope => base.listContainers(scope, connection()),
    containerAction: (name, action) => base.containerAction(name, action, connection()),
    removeContainer: (name, force) => base.removeContainer(name, force, connection()),
    getGpus: () => base.getGpus(connection()),
    listImages: () => base.listImages(connection()),
    pullImage: image => base.pullImage(image, connection()),
    listPulls: () => base.listPulls(connection()),
    removeImage: (name, force) => base.removeImage(name, force, connection()),
    listKernelspecs: () => base.listKernelspecs(),
    createKernelspec: body => base.createKernelspec(body),
    removeKernelspec: name => base.removeKernelspec(name)
  };
}

export function isReachable(connection: Connection): boolean {
  return connection.state === 'reachable';
}
