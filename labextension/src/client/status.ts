/** The machine: can labcontainer reach Podman (GET status), and its GPUs (GET gpus). */
import type { GpuView, Status } from '../generated/rest';
import { isArray, isBoolean, isString, nullable, optional, shaped } from './checks';
import { requestAPI, withConnection } from './request';

const isGpuView = shaped<GpuView>({
  available: isBoolean,
  reason: nullable(isString),
  driver_version: nullable(isString),
  gpus: isArray,
  connection: optional(isString)
});
const isStatus = shaped<Status>({
  connected: isBoolean,
  message: nullable(isString),
  url: nullable(isString),
  rootless: nullable(isBoolean),
  version: nullable(isString),
  connection: optional(isString),
  started_by_labcontainer: isBoolean,
  note: nullable(isString)
});

export function getStatus(connection?: string): Promise<Status> {
  return requestAPI('GET', ['status'], {
    query: withConnection(undefined, connection),
    answer: { guard: isStatus, what: 'GET status', shape: '{"connected", "message", "url", "rootless", "version"}' }
  });
}

export function getGpus(connection?: string): Promise<GpuView> {
  return requestAPI('GET', ['gpus'], {
    query: withConnection(undefined, connection),
    answer: { guard: isGpuView, what: 'GET gpus', shape: '{"available", "reason", "driver_version", "gpus"}' }
  });
}
