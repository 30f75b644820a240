/**
 * labcontainer's REST API (docs/rest-api.md, labcontainer/server/rest_schema.json), one
 * typed function per endpoint, one module per resource, all over one requestAPI().
 */
export type { ContainerAction, Scope, TerminalMode } from '../generated/rest';
export { listConnections } from './connections';
export { containerAction, createContainer, listContainers, removeContainer } from './containers';
export { listImages, listPulls, pullImage, removeImage } from './images';
export { createKernelspec, listKernelspecs, removeKernelspec } from './kernelspecs';
export { containerLogs, type FollowEnd, followLogs, type IFollowOptions } from './logs';
export { getGpus, getStatus } from './status';
export { type ITerminalQuery, terminalUrl } from './terminals';
