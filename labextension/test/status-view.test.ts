import { StatusView } from '../src/views/status';
import { STATUS } from './fakes';

describe('StatusView', () => {
  it('says when labcontainer started the Podman service (under a hub), with its note on hover', () => {
    const view = new StatusView(document.createElement('div'));
    const note = 'No Podman service was answering for you, so labcontainer started one; it stops with your server.';
    view.update({ ...STATUS, started_by_labcontainer: true, note });
    expect(view.node.textContent).toBe('Podman 4.9.3 (rootless) connected, started for you by labcontainer');
    expect(view.node.title).toBe(note);
  });

  it('says nothing of the kind when the service was already there', () => {
    const view = new StatusView(document.createElement('div'));
    view.update(STATUS);
    expect(view.node.textContent).toBe('Podman 4.9.3 (rootless) connected');
    expect(view.node.title).toBe('');
  });
});
