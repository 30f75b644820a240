/**
 * A starting kernel may first pull its image: its notebook's session context says
 * "starting" before it asks the server, whose answer waits for the pull. This tells the
 * model's pulls section when a notebook's or console's kernel starts and when it is up.
 */
import type { ISignal } from '@lumino/signaling';

/** What is told (the model's pulls section). */
export interface IStartsListener {
  starting(kernel: object, on: boolean): void;
}

/** The part of a notebook's or console's session context used here (duck-typed). */
interface ISessionContextLike {
  readonly statusChanged: ISignal<unknown, string>;
  readonly kernelDisplayStatus?: string;
  readonly disposed?: ISignal<unknown, unknown>;
}

/** The part of JupyterLab's shell used here. */
export interface IShellLike {
  readonly currentChanged?: ISignal<unknown, { newValue: unknown }>;
}

const STARTING = new Set(['starting', 'restarting', 'initializing', 'autorestarting']);

/** Follow the session context of each notebook or console that becomes current. */
export function watchKernelStarts(shell: IShellLike, listener: IStartsListener): () => void {
  const seen = new WeakSet<object>();
  const follow = (context: ISessionContextLike): void => {
    if (seen.has(context)) {
      return;
    }
    seen.add(context);
    context.statusChanged.connect((_, status) => listener.starting(context, STARTING.has(status)));
    context.disposed?.connect(() => listener.starting(context, false)); // a notebook closed mid-start
    if (STARTING.has(context.kernelDisplayStatus ?? '')) {
      listener.starting(context, true);
    }
  };
  const onCurrent = (_: unknown, args: { newValue: unknown }): void => {
    const context = (args.newValue as { sessionContext?: ISessionContextLike } | null)?.sessionContext;
    if (context?.statusChanged) {
      follow(context);
    }
  };
  shell.currentChanged?.connect(onCurrent);
  return () => shell.currentChanged?.disconnect(onCurrent);
}
