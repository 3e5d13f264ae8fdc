/**
 * Answering the session's questions with the application's hooks: a command's hook (in the same
 * turn when it answers synchronously), EXPN, and a message's `onData` with its verdict, or with
 * LMTP one outcome per recipient.
 * @module
 */
import { Replies } from '../protocol/replies.js';
import type { Envelope } from '../session/server-events.js';
import type { ServerSession } from '../session/server-session.js';
import { Delivery } from './delivery.js';
import { accepts, type Outcomes, runHook, type Verdict } from './hooks.js';
import type { SmtpServerOptions } from './options.js';
import type { SessionView } from './session-view.js';

/** Whether the connection is done after an event; a promise when that has to be awaited. */
export type Handled = boolean | Promise<boolean>;

export class Answers<State> {
  /**
   * `report` takes a hook's failure; `alive()` false means the connection has ended, and a late
   * answer is dropped.
   */
  constructor(
    private readonly session: ServerSession,
    private readonly hooks: SmtpServerOptions<State>,
    private readonly view: SessionView<State>,
    private readonly report: (error: unknown) => void,
    private readonly alive: () => boolean,
  ) {}

  /** Runs a hook that answers with a verdict (never per-recipient outcomes). */
  run(hook: () => unknown): Verdict | Promise<Verdict> {
    return runHook(hook, this.report) as Verdict | Promise<Verdict>;
  }

  /** Asks a hook about a command and answers the session: at once when the hook did. */
  decide(hook: () => unknown): Handled {
    const verdict = this.run(hook);
    if (verdict instanceof Promise) return verdict.then((v) => this.answer(v));
    return this.answer(verdict);
  }

  answer(verdict: Verdict): false {
    if (!this.alive()) return false;
    if (verdict === undefined) this.session.accept();
    else if (accepts(verdict)) this.session.accept(verdict);
    else this.session.reject(verdict);
    return false;
  }

  async expn(argument: string): Promise<false> {
    const hook = this.hooks.onExpn;
    if (hook === undefined) return this.answer(Replies.notImplemented);
    let lines: readonly string[] = [];
    const refusal = await this.run(async () => {
      lines = await hook(argument, this.view);
    });
    if (refusal !== undefined) return this.answer(refusal);
    return this.answer({ code: 250, enhanced: '2.1.5', lines: lines.length > 0 ? lines : [''] });
  }

  /** Hands a new message to `onData`, with the envelope as it stands now. */
  startMessage(envelope: Envelope, wantsMore: () => void): Delivery {
    const frozen = { from: envelope.from, params: envelope.params, recipients: [...envelope.recipients] };
    const hook = this.hooks.onData;
    const view = this.view;
    const recipients = this.session.options.lmtp ? frozen.recipients.length : undefined;
    return new Delivery(
      (stream) =>
        hook === undefined ? undefined : runHook(() => hook(stream, frozen, view), this.report, recipients),
      wantsMore,
    );
  }

  /**
   * The whole message has arrived: once `written` (the replies so far) has gone out, waits for the
   * hook, calls `settled`, and answers the session with its verdict or outcomes.
   */
  endMessage(
    message: Delivery | undefined,
    written: Promise<void> | undefined,
    settled: () => void,
  ): Handled {
    if (message === undefined) {
      settled();
      return this.answer(Replies.localError);
    }
    const stored = written === undefined ? message.outcome : written.then(() => message.outcome);
    return stored.then((verdict) => {
      settled();
      return this.settle(verdict);
    });
  }

  private settle(verdict: Verdict | Outcomes): false {
    if (!Array.isArray(verdict)) return this.answer(verdict as Verdict);
    if (this.alive()) this.session.settleMessage(verdict);
    return false;
  }
}
