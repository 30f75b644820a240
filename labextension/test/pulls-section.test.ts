import type { Pull } from '../src/generated/rest';
import { ContainersModel } from '../src/model';
import { type IPullEnd, PullsSection } from '../src/pulls';
import { FakeClient, pull } from './fakes';

/** Let the section's awaited fetches settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
  }
}

const IMAGE = '127.0.0.1:5100/lab/python:latest';

describe('PullsSection', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('looks every second only while a pull is in flight or a kernel is starting', async () => {
    const answers: Pull[][] = [[], [pull({ fraction: 0.1 })], [pull({ fraction: 0.6 })], []];
    let calls = 0;
    const shown: (readonly Pull[])[] = [];
    const section = new PullsSection({
      client: {
        listPulls: () => Promise.resolve(answers[Math.min(calls++, answers.length - 1)]),
        pullImage: () => Promise.reject(new Error('not here'))
      }
    });
    section.changed.connect((_, pulls) => shown.push(pulls));

    section.check(); // the panel was shown: one look, nothing pulls, no polling
    await settle();
    expect(calls).toBe(1);
    expect(section.active).toBe(false);
    jest.advanceTimersByTime(5000);
    expect(calls).toBe(1);

    const kernel = {};
    section.starting(kernel, true); // a notebook's kernel starts: look now and every second
    await settle();
    expect(calls).toBe(2);
    jest.advanceTimersByTime(1000);
    await settle();
    expect(calls).toBe(3);
    section.starting(kernel, false); // it is up; the pull is over at the next look
    jest.advanceTimersByTime(1000);
    await settle();
    expect(calls).toBe(4);
    expect(section.active).toBe(false);
    jest.advanceTimersByTime(5000);
    expect(calls).toBe(4);
    expect(shown.map(p => p.map(x => x.fraction))).toEqual([[0.1], [0.6], []]);
    expect(section.pulls).toEqual([]);
    section.dispose();
  });

  it('follows a pull started here until it knows how it ended, and trusts no look begun before the POST', async () => {
    const client = new FakeClient();
    let releaseEarly: (pulls: Pull[]) => void = () => undefined;
    client.listPulls.mockImplementationOnce(() => new Promise(resolve => (releaseEarly = resolve)));
    const pulled: string[] = [];
    const ended: IPullEnd[] = [];
    const section = new PullsSection({ client, onPulled: image => pulled.push(image) });
    section.ended.connect((_, end) => ended.push(end));

    section.starting({}, true); // a look already under way (a kernel starting) when the user pulls
    await section.pull(IMAGE);
    expect(client.pullImage).toHaveBeenCalledWith(IMAGE);
    releaseEarly([]); // its answer predates the pull: it proves nothing
    await settle();
    expect(ended).toEqual([]);

    client.pulls = [pull({ image: IMAGE, kernel_id: null, fraction: 0.3 })];
    jest.advanceTimersByTime(1000);
    await settle();
    expect(ended).toEqual([]);
    expect(section.pulls.map(p => p.image)).toEqual([IMAGE]);

    client.pulls = [];
    jest.advanceTimersByTime(1000);
    await settle();
    expect(ended).toEqual([{ image: IMAGE, error: null }]);
    expect(pulled).toEqual([IMAGE]);
    section.dispose();
  });

  it('tells a failed pull once, with its error, and shows it as no running row', async () => {
    const client = new FakeClient();
    const error = { kind: 'PullFailed', message: `Could not pull '${IMAGE}': no such image in that registry.` };
    client.pulls = [pull({ image: IMAGE, kernel_id: null, error })];
    const ended: IPullEnd[] = [];
    const section = new PullsSection({ client });
    section.ended.connect((_, end) => ended.push(end));
    await section.pull(IMAGE);
    await settle();
    expect(ended).toEqual([{ image: IMAGE, error }]);
    expect(section.pulls).toEqual([]);
    expect(section.active).toBe(false); // the failure was told: nothing left to look for
    jest.advanceTimersByTime(5000);
    await settle();
    expect(ended).toHaveLength(1);
    expect(client.listPulls).toHaveBeenCalledTimes(1);
    section.dispose();
  });

  it('keeps looking while a pull started here is not seen to end, even when GET pulls fails', async () => {
    const client = new FakeClient();
    client.listPulls.mockRejectedValueOnce(new Error('server away'));
    const section = new PullsSection({ client });
    await section.pull(IMAGE);
    await settle();
    expect(section.active).toBe(true);
    jest.advanceTimersByTime(1000);
    await settle();
    expect(client.listPulls).toHaveBeenCalledTimes(2);
    expect(section.active).toBe(false);
    section.dispose();
  });
});

describe('ContainersModel: the pulls section', () => {
  it('reloads only the images when a pull started from the panel went well', async () => {
    const client = new FakeClient();
    const model = new ContainersModel({ client, autoStart: false, events: null, pullInterval: 5 });
    await model.refresh();
    for (const call of [client.getStatus, client.listContainers, client.getGpus, client.listImages, client.listKernelspecs]) {
      call.mockClear();
    }
    client.images = [...client.images, { ...client.images[0], id: 'sha256:2', name: IMAGE, tags: [IMAGE] }];
    const ended = new Promise<IPullEnd>(resolve => model.pulls.ended.connect((_, end) => resolve(end)));
    await model.pullImage(IMAGE);
    expect(await ended).toEqual({ image: IMAGE, error: null });
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(client.listImages).toHaveBeenCalledTimes(1);
    expect(model.images.map(image => image.name)).toContain(IMAGE);
    expect(client.getGpus).not.toHaveBeenCalled();
    expect(client.listContainers).not.toHaveBeenCalled();
    model.dispose();
  });
});
