/** Telling a container kernel from others, by its kernelspec (no widget code: unit-testable). */
import type { KernelSpec } from '@jupyterlab/services';

/** The provisioner of labcontainer's kernelspecs (labcontainer/kernels/kernelspecs.py). */
export const PROVISIONER = 'labcontainer-podman';

/** Whether the kernelspec named `name` runs its kernels in containers (labcontainer's provisioner). */
export function isContainerKernel(specs: KernelSpec.ISpecModels | null | undefined, name: string | undefined): boolean {
  const spec = name ? specs?.kernelspecs[name] : undefined;
  const provisioner = spec?.metadata?.kernel_provisioner;
  return (
    typeof provisioner === 'object' &&
    provisioner !== null &&
    !Array.isArray(provisioner) &&
    (provisioner as { provisioner_name?: unknown }).provisioner_name === PROVISIONER
  );
}
