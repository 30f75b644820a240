/** The servers (GET connections): this machine's Podman and the user's `podman system connection`s. */
import type { ConnectionsAnswer } from '../generated/rest';
import { isArray, isString, shaped } from './checks';
import { requestAPI } from './request';

const isConnectionsAnswer = shaped<ConnectionsAnswer>({ connections: isArray, default: isString });

/** Every server with its state ("reachable", or "unreachable since HH:MM: why"), each asked now. */
export function listConnections(): Promise<ConnectionsAnswer> {
  return requestAPI('GET', ['connections'], {
    answer: { guard: isConnectionsAnswer, what: 'GET connections', shape: '{"connections": [...], "default": "..."}' }
  });
}
