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
import { requestAPI } from './request';

const isContainersAnswer = shaped<ContainersAnswer>({ containers: isNamedRecords, connection: optional(isString) });
const isContainerAnswer = shaped<ContainerAnswer>({ container: isNamedRecord });
const CONTAINER_SHAPE = '{"container": {...}}';

export async function listContainers(scope: Scope = 'mine'): Promise<Container[]> {
  const answer = await requestAPI('GET', ['containers'], {
    query: { scope, all: '1' },
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

export async function containerAction(name: string, action: ContainerAction): Promise<Container> {
  const answer = await requestAPI('POST', ['containers', name, action], {
    answer: { guard: isContainerAnswer, what: `POST containers/{name}/${action}`, shape: CONTAINER_SHAPE }
  });
  return answer.container;
}

export async function removeContainer(name: string, force = false): Promise<void> {
  await requestAPI('DELETE', ['containers', name], { query: force ? { force: '1' } : undefined });
}
