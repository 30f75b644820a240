/** Dialogs whose text wraps (long image names, paths and server messages). */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { element } from './dom';

/**
 * A message as a dialog body, whole and wrapped (style/base.css). labcontainer's messages
 * are one paragraph of ours, then, on their own lines, what Podman (or the container) said:
 * those lines stay lines of their own, in the code font, never run into our sentence.
 */
export function messageBody(text: string): Widget {
  const node = element('div', 'lc-DialogMessage');
  const [paragraph, ...quoted] = text.trimEnd().split('\n');
  node.appendChild(element('p', 'lc-DialogText', paragraph));
  if (quoted.length > 0) {
    node.appendChild(element('pre', 'lc-DialogQuote', quoted.join('\n')));
  }
  return new Widget({ node });
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
