/** Images and the pulls the server makes: list, pull (in the background), remove. */
import type { Image, ImageRemoved, ImageRemovedAnswer, ImagesAnswer, Pull, PullAnswer, PullsAnswer } from '../generated/rest';
import { isNamedRecords, isObject, isString, isStrings, optional, shaped } from './checks';
import { requestAPI, withConnection } from './request';

const isImagesAnswer = shaped<ImagesAnswer>({ images: isNamedRecords, connection: optional(isString) });
const isPull = (value: unknown) => isObject(value) && isString(value.image);
const isPullsAnswer = shaped<PullsAnswer>({
  pulls: value => Array.isArray(value) && value.every(isPull),
  connection: optional(isString)
});
const isPullAnswer = shaped<PullAnswer>({ pull: isPull });
const isRemoved = (value: unknown) =>
  isObject(value) && isStrings(value.untagged) && isStrings(value.deleted) && isStrings(value.other_names) && isStrings(value.used_by);
const isRemovedAnswer = shaped<ImageRemovedAnswer>({ removed: isRemoved });

export async function listImages(connection?: string): Promise<Image[]> {
  const answer = await requestAPI('GET', ['images'], {
    query: withConnection(undefined, connection),
    answer: { guard: isImagesAnswer, what: 'GET images', shape: '{"images": [...]}' }
  });
  return answer.images;
}

/** Start pulling an image in the background (202): GET pulls follows it, with `error` if it fails. */
export async function pullImage(image: string, connection?: string): Promise<Pull> {
  const answer = await requestAPI('POST', ['images'], {
    query: withConnection(undefined, connection),
    body: { image },
    answer: { guard: isPullAnswer, what: 'POST images', shape: '{"pull": {...}}' }
  });
  return answer.pull;
}

/**
 * `podman rmi NAME`: what it did (when only the name went, why the image stays), or null
 * from a server that answers 204 without it. The last name of an image a container uses
 * rejects with ApiError kind 'ImageInUse' (409).
 */
export async function removeImage(name: string, force = false, connection?: string): Promise<ImageRemoved | null> {
  const answer = await requestAPI<ImageRemovedAnswer | null>('DELETE', ['images', name], {
    query: withConnection(force ? { force: '1' } : undefined, connection),
    answer: {
      guard: (value: unknown): value is ImageRemovedAnswer | null => value === null || isRemovedAnswer(value),
      what: 'DELETE images',
      shape: '{"removed": {...}}'
    }
  });
  return answer?.removed ?? null;
}

/** The pulls the server is making now (a container kernel waiting for its image), and recent failures. */
export async function listPulls(connection?: string): Promise<Pull[]> {
  const answer = await requestAPI('GET', ['pulls'], {
    query: withConnection(undefined, connection),
    answer: { guard: isPullsAnswer, what: 'GET pulls', shape: '{"pulls": [...]}' }
  });
  return answer.pulls;
}
