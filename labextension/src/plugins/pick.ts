/** "Which container?" for the commands run without one (from the palette). */
import { InputDialog } from '@jupyterlab/apputils';

import type { ContainersModel } from '../model';
import { showFailure } from '../views/dialogs';

export interface IPick {
  title: string;
  okLabel: string;
  none: string;
  noneText: string;
  runningOnly: boolean;
}

/** Ask which container; null when cancelled or there is none to choose. */
export async function pickContainer(model: ContainersModel, pick: IPick): Promise<string | null> {
  await model.refresh();
  const names = model.containers
    .filter(container => !pick.runningOnly || container.state === 'running')
    .map(container => container.name);
  if (names.length === 0) {
    await showFailure(pick.none, model.error ?? pick.noneText);
    return null;
  }
  const answer = await InputDialog.getItem({ title: pick.title, items: names, okLabel: pick.okLabel });
  return answer.button.accept ? answer.value : null;
}
