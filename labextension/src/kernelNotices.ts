import type { ISignal } from '@lumino/signaling';

/** What a kernel model says about itself (the fields used here of Kernel.IModel). */
export interface IKernelModelLike {
  readonly id: string;
  readonly name: string;
  readonly reason?: string;
}

/** The part of JupyterLab's kernel manager used here. */
export interface IKernelListLike {
  readonly runningChanged: ISignal<unknown, IKernelModelLike[]>;
}

/**
 * Say once, for each new reason, why a container kernel restarted by itself.
 *
 * JupyterLab only says "the kernel appears to have died"; labcontainer's provisioner puts
 * the container's exit code and last lines on the kernel's `reason`, which the running
 * kernels list carries. Nothing is shown for a kernel without a reason.
 */
export function watchKernelReasons(kernels: IKernelListLike, notify: (message: string) => void): () => void {
  const shown = new Map<string, string>();
  const onChange = (_: unknown, models: IKernelModelLike[]): void => {
    for (const model of models) {
      const reason = model.reason ?? '';
      if (reason && shown.get(model.id) !== reason) {
        shown.set(model.id, reason);
        notify(`Kernel ${model.name} (${model.id.slice(0, 8)}) was restarted. ${reason}`);
      }
    }
  };
  kernels.runningChanged.connect(onChange);
  return () => kernels.runningChanged.disconnect(onChange);
}
