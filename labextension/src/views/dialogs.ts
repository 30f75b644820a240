/** Dialogs whose text wraps (long image names, paths and server messages). */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { element } from './dom';

function messageBody(text: string): Widget {
  return new Widget({ node: element('div', 'lc-DialogMessage', text) });
}

/** Ask before a destructive action; resolves true when the user accepts. */
export async function confirmDanger(title: string, text: string, label: string): Promise<boolean> {
  const answer = await showDialog({
    title,
    body: messageBody(text),
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label })]
  });
  return answer.button.accept;
}

/** Show a failure's message as it is, wrapped. */
export async function showFailure(title: string, error: unknown): Promise<void> {
  const text = error instanceof Error ? error.message : String(error);
  await showDialog({ title, body: messageBody(text), buttons: [Dialog.okButton()] });
}
