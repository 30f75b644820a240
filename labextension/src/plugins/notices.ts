/** Notices in the notebook's window: a kernel waiting for its image's pull, a kernel that restarted by itself. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';

import { watchKernelReasons } from '../kernelNotices';
import { watchKernelStarts } from '../kernelStarts';
import type { ContainersModel } from '../model';
import { KernelPullNotices } from '../pullNotices';
import { IContainersModel } from '../tokens';

export const noticesPlugin: JupyterFrontEndPlugin<void> = {
  id: 'labcontainer:kernel-notices',
  description: 'Says in the notebook why a container kernel waits (its image is pulled) or restarted.',
  autoStart: true,
  requires: [IContainersModel],
  activate: (app: JupyterFrontEnd, model: ContainersModel) => {
    // A starting kernel may first pull its image: the model follows that pull while it runs...
    watchKernelStarts(app.shell, model.pulls);
    // ...and it is said where the user waits, the notebook's window, not only in the panel.
    const pullNotices = new KernelPullNotices({
      show: (message, progress) => Notification.emit(message, 'in-progress', { autoClose: false, progress }),
      update: (id, message, progress) => void Notification.update({ id, message, progress }),
      dismiss: id => Notification.dismiss(id)
    });
    model.pulls.changed.connect((_, pulls) => pullNotices.update(pulls));
    // Why a container kernel restarted by itself (exit code, last lines), once per reason.
    watchKernelReasons(app.serviceManager.kernels, message => {
      Notification.warning(message, { autoClose: false });
    });
  }
};
