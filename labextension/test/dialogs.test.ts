const showDialog = jest.fn((_options: unknown) => Promise.resolve({ button: { accept: true } }));

jest.mock('@jupyterlab/apputils', () => ({
  showDialog: (options: unknown) => showDialog(options),
  Dialog: {
    okButton: () => ({ label: 'Ok' }),
    cancelButton: () => ({ label: 'Cancel' }),
    warnButton: (options: { label: string }) => options
  }
}));

import type { Widget } from '@lumino/widgets';

import { ApiError } from '../src/errors';
import { messageBody, showFailure } from '../src/views/dialogs';

/** The kernel-start failure seen cut off ("Install ipyker…"): one long paragraph, then the container's own lines. */
const KERNEL_START_FAILURE =
  'The image localhost/labcontainer-python:latest has Python but no ipykernel, so it cannot serve as a kernel. ' +
  'Install ipykernel in the image (pip install ipykernel), or recreate the kernelspec with ' +
  '`labcontainer kernelspec install --inject-ipykernel ...` to mount this server\'s ipykernel ' +
  '(the image\'s Python must have the same minor version). Last lines from the container:\n' +
  '/usr/bin/python3: No module named ipykernel_launcher';

const PODMAN_FAILURE = 'Podman reported an error.\nPodman said: crun: setrlimit `RLIMIT_NOFILE`: Operation not permitted: OCI permission denied';

describe('dialogs', () => {
  beforeEach(() => showDialog.mockClear());

  async function bodyOf(title: string, error: unknown): Promise<HTMLElement> {
    await showFailure(title, error);
    const { body } = showDialog.mock.lastCall![0] as { body: Widget };
    document.body.appendChild(body.node);
    return body.node;
  }

  it('shows the whole message, wrapped, never cut', async () => {
    // style/base.css is loaded by test/setup.js, so these are the styles a browser applies.
    const node = await bodyOf('Could not start the kernel', new ApiError(KERNEL_START_FAILURE, 'KernelStartError', 500));
    expect(node.textContent).toContain('Install ipykernel in the image (pip install ipykernel)');
    const paragraph = node.querySelector<HTMLElement>('.lc-DialogText')!;
    expect(paragraph.textContent).toBe(KERNEL_START_FAILURE.split('\n')[0]);
    for (const part of [node, paragraph, node.querySelector<HTMLElement>('.lc-DialogQuote')!]) {
      const style = getComputedStyle(part);
      expect(style.whiteSpace).toBe('pre-wrap');
      expect(style.overflowWrap).toBe('anywhere');
      expect(style.textOverflow).not.toBe('ellipsis');
    }
  });

  it('puts Podman’s words on a line of their own after ours', async () => {
    const node = await bodyOf('Could not start train', new ApiError(PODMAN_FAILURE, 'PodmanError', 500));
    const children = Array.from(node.children);
    expect(children.map(child => child.className)).toEqual(['lc-DialogText', 'lc-DialogQuote']);
    expect(children[0].textContent).toBe('Podman reported an error.');
    expect(children[1].textContent).toBe(
      'Podman said: crun: setrlimit `RLIMIT_NOFILE`: Operation not permitted: OCI permission denied'
    );
    expect(children[1].tagName).toBe('PRE');
  });

  it('a message of one paragraph has no quote block', () => {
    const node = messageBody('No container named or with id \'x\'. List your containers with `%container ps -a`.\n').node;
    expect(node.querySelectorAll('.lc-DialogText')).toHaveLength(1);
    expect(node.querySelector('.lc-DialogQuote')).toBeNull();
  });

  it('shows errors that are not ApiErrors too', async () => {
    const node = await bodyOf('Oops', 'plain text');
    expect(node.textContent).toBe('plain text');
  });
});
