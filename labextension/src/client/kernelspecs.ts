/** Container kernelspecs (the launcher's container kernels): list, create, remove. */
import type { Kernelspec, KernelspecAnswer, KernelspecCreate, KernelspecsAnswer } from '../generated/rest';
import { isNamedRecord, isNamedRecords, isString, shaped } from './checks';
import { requestAPI } from './request';

const isKernelspecsAnswer = shaped<KernelspecsAnswer>({ kernelspecs: isNamedRecords });
const isKernelspecAnswer = shaped<KernelspecAnswer>({
  kernelspec: isNamedRecord,
  note: value => value === undefined || isString(value)
});

export async function listKernelspecs(): Promise<Kernelspec[]> {
  const answer = await requestAPI('GET', ['kernelspecs'], {
    answer: { guard: isKernelspecsAnswer, what: 'GET kernelspecs', shape: '{"kernelspecs": [...]}' }
  });
  return answer.kernelspecs;
}

/**
 * Add a container kernel. A name already taken rejects with ApiError kind
 * 'KernelspecExists' (labcontainer's: send again with `replace: true` to replace it) or
 * 'ForeignKernelspec' (someone else's: never replaced).
 */
export function createKernelspec(body: KernelspecCreate): Promise<KernelspecAnswer> {
  return requestAPI('POST', ['kernelspecs'], {
    body,
    answer: { guard: isKernelspecAnswer, what: 'POST kernelspecs', shape: '{"kernelspec": {...}, "note"?: "..."}' }
  });
}

export async function removeKernelspec(name: string): Promise<void> {
  await requestAPI('DELETE', ['kernelspecs', name]);
}
