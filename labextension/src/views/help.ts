/** Help > Labcontainer Help: the README's "Using it" section, rendered in a main-area tab. */
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { USAGE_MARKDOWN } from '../generated/help';
import { element } from './dom';

export class HelpWidget extends Panel {
  /** Markdown through JupyterLab's renderer when there is one, else the plain text. */
  constructor(rendermime: IRenderMimeRegistry | null) {
    super();
    this.id = 'labcontainer-help';
    this.addClass('lc-Help');
    this.title.label = 'Labcontainer Help';
    this.title.closable = true;
    if (rendermime) {
      const renderer = rendermime.createRenderer('text/markdown');
      void renderer.renderModel(new MimeModel({ data: { 'text/markdown': USAGE_MARKDOWN } }));
      this.addWidget(renderer);
    } else {
      this.addWidget(new Widget({ node: element('pre', 'lc-HelpText', USAGE_MARKDOWN) }));
    }
  }

  /** Closing the tab disposes it; the Help command makes a new one. */
  protected onCloseRequest(msg: Message): void {
    super.onCloseRequest(msg);
    this.dispose();
  }
}
