/** Containers: list, create, start/stop/restart, remove. */
import type {
  Container,
  ContainerAction,
  ContainerAnswer,
  ContainerCreate,
  ContainersAnswer,
  Scope
} from '../generated/rest';
import { isNamedRecord, isNamedRecords, isString, optional, shaped } from './checks';
import { requestAPI, withConnection } from './request';

const isContainersAnswer = shaped<ContainersAnswer>({ containers: isNamedRecords, connection: optional(isString) });
const isContainerAnswer = shaped<ContainerAnswer>({ container: isNamedRecord });
const CONTAINER_SHAPE = '{"container": {...}}';

export async function listContainers(scope: Scope = 'mine', connection?: string): Promise<Container[]> {
  const answer = await requestAPI('GET', ['containers'], {
    query: withConnection({ scope, all: '1' }, connection),
    answer: { guard: isContainersAnswer, what: 'GET containers', shape: '{"containers": [...]}' }
  });
  return answer.containers;
}

export async function createContainer(body: ContainerCreate): Promise<Container> {
  const answer = await requestAPI('POST', ['containers'], {
    body,
    answer: { guard: isContainerAnswer, what: 'POST containers', shape: CONTAINER_SHAPE }
  });
  return answer.container;
}

export async function containerAction(name: string, action: ContainerAction, connection?: string): Promise<Container> {
  const answer = await requestAPI('POST', ['containers', name, action], {
    query: withConnection(undefined, connection),
    answer: { guard: isContainerAnswer, what: `POST containers/{name}/${action}`, shape: CONTAINER_SHAPE }
  });
  return answer.container;
}

export async function removeContainer(name: string, force = false, connection?: string): Promise<void> {
  await requestAPI('DELETE', ['containers', name], { query: withConnection(force ? { force: '1' } : undefined, connection) });
}
