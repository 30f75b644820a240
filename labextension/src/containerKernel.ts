/**
 * Container kernels on the browser side (no widget code: unit-testable). Which kernel a
 * container serves is the server's answer, the `kernel` object on each container row
 * (rest_schema.json, Container.kernel): never guessed here from names or labels.
 */
import type { KernelSpec } from '@jupyterlab/services';

import type { Container } from './generated/rest';

/** The provisioner of labcontainer's kernelspecs (labcontainer/kernels/kernelspecs.py). */
export const PROVISIONER = 'labcontainer-podman';

/** What the server says of the kernel a container serves. */
export type ContainerKernel = NonNullable<Container['kernel']>;

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

/** The kernel this container serves, as the server says; null for any other container. */
export function kernelOf(container: Container): ContainerKernel | null {
  return container.kernel ?? null;
}

/** The container that serves the kernel with this id, if the list has it. */
export function containerOfKernel(containers: readonly Container[], kernelId: string): Container | undefined {
  return containers.find(container => kernelOf(container)?.id === kernelId);
}

/** The file name of the notebook a kernel's container serves, when the server knows it. */
export function notebookOf(container: Container): string | null {
  const path = kernelOf(container)?.notebook;
  return path ? (path.split('/').pop() ?? path) : null;
}

/**
 * How a container is named to the user: a kernel's container as the kernel of its notebook
 * ("kernel of train.ipynb"), as the side panel's rows say; any other by its name.
 */
export function shownName(container: Container): string {
  const notebook = notebookOf(container);
  return notebook ? `kernel of ${notebook}` : container.name;
}
