/** Images and the pulls the server makes: list, pull (in the background), remove. */
import type { Image, ImagesAnswer, Pull, PullAnswer, PullsAnswer } from '../generated/rest';
import { isNamedRecords, isObject, isString, optional, shaped } from './checks';
import { requestAPI } from './request';

const isImagesAnswer = shaped<ImagesAnswer>({ images: isNamedRecords, connection: optional(isString) });
const isPull = (value: unknown) => isObject(value) && isString(value.image);
const isPullsAnswer = shaped<PullsAnswer>({
  pulls: value => Array.isArray(value) && value.every(isPull),
  connection: optional(isString)
});
const isPullAnswer = shaped<PullAnswer>({ pull: isPull });

export async function listImages(): Promise<Image[]> {
  const answer = await requestAPI('GET', ['images'], {
    answer: { guard: isImagesAnswer, what: 'GET images', shape: '{"images": [...]}' }
  });
  return answer.images;
}

/** Start pulling an image in the background (202): GET pulls follows it, with `error` if it fails. */
export async function pullImage(image: string): Promise<Pull> {
  const answer = await requestAPI('POST', ['images'], {
    body: { image },
    answer: { guard: isPullAnswer, what: 'POST images', shape: '{"pull": {...}}' }
  });
  return answer.pull;
}

/** `podman rmi NAME`; an image a container uses rejects with ApiError kind 'ImageInUse' (409). */
export async function removeImage(name: string, force = false): Promise<void> {
  await requestAPI('DELETE', ['images', name], { query: force ? { force: '1' } : undefined });
}

/** The pulls the server is making now (a container kernel waiting for its image), and recent failures. */
export async function listPulls(): Promise<Pull[]> {
  const answer = await requestAPI('GET', ['pulls'], {
    answer: { guard: isPullsAnswer, what: 'GET pulls', shape: '{"pulls": [...]}' }
  });
  return answer.pulls;
}
