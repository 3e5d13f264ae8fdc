/**
 * Drives one `ServerSession` over a `Transport`: feeds it input, writes its replies (batched: one
 * write per drained input), runs the hooks it asks for, streams messages to `onData`, and keeps
 * the deadlines.
 *
 * The hot path stays synchronous: a hook that returns a plain value is answered in the same turn,
 * and input is paused only when it piles up while something is awaited, not around every hook.
 * @module
 */
import { EsmtpError, SmtpError } from '../protocol/errors.js';
import { Replies } from '../protocol/replies.js';
import { encodeReply, type Reply, reply, replyText } from '../protocol/reply.js';
import type { Envelope, ServerEvent } from '../session/server-events.js';
import { ServerSession } from '../session/server-session.js';
import { type Logger, silentLogger } from '../tracing/logger.js';
import { WireTrace } from '../tracing/wire.js';
import type { Transport } from '../transport/transport.js';
import { AuthDriver, checkSender } from './auth-driver.js';
import { ConnectionClocks } from './clocks.js';
import { Delivery } from './delivery.js';
import { accepts, runHook, type Verdict } from './hooks.js';
import type { ServerAuthOptions, SessionInfo, SmtpServerOptions } from './options.js';
import { type SessionView, SessionView as View, type Viewed } from './session-view.js';
import type { ServerSettings } from './settings.js';
import { upgradeToTls } from './tls-upgrade.js';

const HOOK_TIMED_OUT = reply(421, '4.3.0', 'Local processing timed out, closing connection');
/** Input kept waiting while a hook runs, beyond which reading is paused. */
const MAX_WAITING_INPUT = 64 * 1024;

/** The state of a connection when the server makes none. */
const emptyState = <State>(): State => ({}) as State;

/** Whether the connection is done after an event; a promise when that has to be awaited. */
type Handled = boolean | Promise<boolean>;

/** What a connection needs from its server. */
export interface ConnectionHost<State> {
  readonly settings: ServerSettings;
  /** Keeps the salts shown for unknown SCRAM users stable for the server's life. */
  readonly mockSecret: Uint8Array;
  /** A hook failed with something other than an SmtpError. */
  hookError(error: unknown, session: SessionInfo<State>): void;
  /** The connection has closed. */
  closed(connection: Connection<State>): void;
}

export class Connection<State> implements Viewed {
  readonly session: ServerSession;
  /** What the hooks see of this connection. */
  readonly view: SessionView<State>;
  private readonly hooks: SmtpServerOptions<State>;
  private replies: string[] = [];
  private running = false; // pump() is working through events (possibly awaiting a hook)
  private ended = false;
  private held = false; // the transport is paused
  private message: Delivery | undefined;
  private readonly clocks: ConnectionClocks;
  private readonly logger: Logger;
  /** Traces the wire (`esmtp:server:*` channels, the logger at debug). */
  readonly trace: WireTrace;
  private gone = false; // the transport has ended: the connection no longer counts
  private closeWhenIdle = false;
  private readonly auth: AuthDriver | undefined;

  /** What `authenticate` returned with the user. */
  get authData(): unknown {
    return this.auth?.data;
  }

  constructor(
    private readonly host: ConnectionHost<State>,
    readonly transport: Transport,
  ) {
    const settings = host.settings;
    const o = settings.options as SmtpServerOptions<State>;
    this.hooks = o;
    this.clocks = new ConnectionClocks(
      settings.timeouts,
      {
        client: () => this.timedOut(),
        write: () => this.finish(), // a peer that does not read cannot be told anything more
        hook: () => this.hookTimedOut(),
      },
      () => this.running, // a hook is running: the client is not the slow one
    );
    this.session = new ServerSession({
      ...settings.session,
      secure: transport.secure || o.secure === true,
      starttls: settings.tls !== undefined && o.secure !== true && transport.startTls !== undefined,
    });
    this.view = new View<State>(this, o.state ?? emptyState);
    this.logger = settings.logger;
    this.trace = new WireTrace(this.view.id, 'server', settings.logger);
    this.auth =
      o.auth === undefined
        ? undefined
        : new AuthDriver(
            o.auth as ServerAuthOptions,
            this.view as SessionInfo,
            settings.hostname,
            host.mockSecret,
          );
  }

  /** Greets the client (after `onConnect`) and starts reading. */
  async start(): Promise<void> {
    this.transport.start({
      data: (chunk) => this.receive(chunk),
      end: (error) => this.lost(error),
    });
    this.hold();
    this.clocks.waitForHook();
    if (this.hooks.secure === true && !(await this.startTls())) return;
    const verdict = await this.runHook(() => this.hooks.onConnect?.(this.view));
    this.clocks.settled();
    if (this.ended) return;
    if (verdict !== undefined && !accepts(verdict)) {
      this.refused(verdict);
      this.replies.push(encodeReply(verdict, { enhanced: false }));
      await this.flush();
      this.finish(true);
      return;
    }
    this.replies.push(
      verdict === undefined
        ? (this.session.greeting() as { wire: string }).wire
        : encodeReply(verdict, { enhanced: false }),
    );
    this.pump();
  }

  /**
   * Asks the connection to end: at once when idle, after the transaction in progress otherwise.
   * Forced, it ends now, whatever it is doing: 421, then the transport closes.
   */
  shutdown(force: boolean): void {
    if (this.ended) return;
    if (force) this.abandon(Replies.shuttingDown);
    else if (!this.session.inMessage && this.session.envelope === undefined && !this.running) {
      this.session.shutdown(Replies.shuttingDown);
      this.pump();
    } else this.closeWhenIdle = true;
  }

  /** Answers `final` and closes now, without waiting for a hook that may never return. */
  private abandon(final: Reply): void {
    this.session.shutdown();
    this.message?.abort(new SmtpError(final));
    this.message = undefined;
    this.refused(final);
    this.replies.push(encodeReply(final, { enhanced: this.session.enhancedCodes }));
    this.flush();
    this.finish(true); // the transport closes after the pending write
  }

  /** A hook has not settled within `timeouts.hook`: its late answer will find the connection gone. */
  private hookTimedOut(): void {
    if (this.ended) return;
    const seconds = this.host.settings.timeouts.hook / 1000;
    this.host.hookError(new EsmtpError('ETIMEOUT', `a hook did not settle within ${seconds} s`), this.view);
    this.abandon(HOOK_TIMED_OUT);
  }

  /** Ends the connection at once, closing or not: no deadline of the server's waits for it. */
  destroy(): void {
    this.finish();
  }

  private receive(chunk: Uint8Array): void {
    this.clocks.receive(chunk.length);
    this.session.push(chunk);
    if (!this.running) this.pump();
    // Something is awaited (a hook, a write): a client must not pile up input meanwhile.
    else if (this.session.buffered > MAX_WAITING_INPUT) this.hold();
  }

  private hold(): void {
    if (this.held) return;
    this.held = true;
    this.transport.pause();
  }

  private release(): void {
    if (!this.held || this.ended) return;
    this.held = false;
    this.transport.resume();
  }

  /** The transport has ended: the connection is gone, and only now leaves the counts. */
  private lost(error?: Error): void {
    if (!this.ended) {
      this.session.connectionLost();
      this.message?.abort(
        new EsmtpError('ECONNECTION', 'the client closed the connection during the message', {
          cause: error,
        }),
      );
      this.message = undefined;
      this.finish();
    }
    if (this.gone) return;
    this.gone = true;
    this.host.closed(this);
  }

  /**
   * Ends the connection: gracefully (the replies written reach the client first, within the
   * transport's closing deadline) or at once. A connection closing gracefully can still be
   * destroyed.
   */
  private finish(graceful = false): void {
    if (this.ended && graceful) return;
    this.ended = true;
    this.clocks.stop();
    if (graceful) this.transport.close();
    else this.transport.destroy();
  }

  /**
   * Works through the session's events until it needs more input. Synchronous while every step
   * is; the first step that must be awaited (an async hook, a write the peer is slow to take)
   * carries the pump on once it settles.
   */
  private pump(): void {
    if (this.running || this.ended) return;
    this.running = true;
    try {
      for (;;) {
        const event = this.session.next();
        let handled: Handled;
        if (event !== undefined) {
          if (event.type !== 'message-data' && !this.session.inMessage) this.clocks.commandArrived();
          handled = this.handle(event);
        } else if (this.replies.length > 0) {
          handled = this.flush()?.then(() => false) ?? false;
        } else if (this.closeWhenIdle && this.session.envelope === undefined && !this.session.inMessage) {
          this.closeWhenIdle = false;
          this.session.shutdown(Replies.shuttingDown);
          continue;
        } else break;
        if (handled instanceof Promise) {
          this.clocks.waitForHook();
          handled.then(
            (done) => this.pumpAgain(done),
            (error) => this.failed(error),
          );
          return;
        }
        if (handled || this.ended) return this.pumpAgain(true);
      }
    } catch (error) {
      return this.failed(error);
    }
    this.running = false;
    if (this.message?.full !== true) this.release();
    if (!this.ended && !this.session.waiting) this.clocks.waitForClient(this.session.inMessage);
  }

  private pumpAgain(done: boolean): void {
    this.clocks.settled();
    this.running = false;
    if (!done) this.pump();
  }

  /** A bug, not the client's doing: this connection ends, the others go on. */
  private failed(error: unknown): void {
    this.clocks.settled();
    this.running = false;
    this.host.hookError(error, this.view);
    this.finish();
  }

  /** Handles one event; true when the connection is done. */
  private handle(event: ServerEvent): Handled {
    const hooks = this.hooks;
    const view = this.view;
    switch (event.type) {
      case 'reply':
        if (event.reply.code >= 400) this.refused(event.reply);
        this.replies.push(event.wire);
        return false;
      case 'close': {
        this.flush();
        this.finish(true); // the transport closes after the pending write
        return true;
      }
      case 'helo':
        return this.decide(() => hooks.onHelo?.(event.name, view));
      case 'mail':
        return this.decide(() => {
          checkSender(hooks.auth?.senderMustMatch, event.from, this.session.user);
          return hooks.onMailFrom?.(event.from, event.params, view);
        });
      case 'rcpt':
        return this.decide(() => hooks.onRcptTo?.(event.to, event.params, view));
      case 'expn':
        return this.expn(event.argument).then(() => false);
      case 'message-start':
        this.startMessage(event.envelope);
        return false;
      case 'message-data':
        this.message?.push(event.bytes);
        if (this.message?.full === true) this.hold();
        return false;
      case 'message-abort':
        this.abortMessage(event.reason);
        return false;
      case 'message-end':
        return this.endMessage();
      case 'starttls':
        return this.starttls();
      case 'auth':
        return this.authStep(event.mechanism, event.response).then(() => false);
      case 'auth-end':
        this.auth?.reset();
        return false;
      case 'reset':
        return false;
    }
  }

  private async starttls(): Promise<boolean> {
    await this.flush();
    if (await this.startTls()) {
      if (this.auth !== undefined) this.auth.data = undefined; // the user is forgotten too
      this.session.tlsStarted();
    }
    return this.ended;
  }

  /**
   * The TLS handshake, within the command timeout, then `onSecure`; false (and the connection
   * ends) when the handshake failed or the hook refused.
   */
  private async startTls(): Promise<boolean> {
    const tls = this.host.settings.tls;
    this.hold();
    const secure =
      tls !== undefined && (await upgradeToTls(this.transport, tls, this.host.settings.timeouts.command));
    if (!secure) {
      this.logger.info({ session: this.view.id }, 'TLS handshake failed');
      this.finish();
    } else if (!this.ended && this.hooks.onSecure !== undefined) {
      const onSecure = this.hooks.onSecure;
      const verdict = await this.runHook(() => onSecure(this.view));
      if (verdict !== undefined && !accepts(verdict) && !this.ended) {
        this.refused(verdict);
        this.replies.push(encodeReply(verdict, { enhanced: this.session.enhancedCodes }));
        await this.flush();
        this.finish(true);
      }
    }
    this.release();
    return secure && !this.ended;
  }

  private async authStep(mechanism: string, response: Uint8Array | undefined): Promise<void> {
    this.hold();
    const s = this.host.settings;
    await (this.auth as AuthDriver).run(
      this.session,
      mechanism,
      response,
      s.authFailureDelay,
      this.reportHookError,
      () => !this.ended,
    );
    this.release();
  }

  /** Asks a hook about a command and answers the session: at once when the hook did. */
  private decide(run: () => unknown): Handled {
    const verdict = this.runHook(run);
    if (verdict instanceof Promise) return verdict.then((v) => this.answer(v));
    return this.answer(verdict);
  }

  private answer(verdict: Verdict): false {
    if (this.ended) return false;
    if (verdict === undefined) this.session.accept();
    else if (accepts(verdict)) this.session.accept(verdict);
    else this.session.reject(verdict);
    return false;
  }

  private async expn(argument: string): Promise<void> {
    const hook = this.hooks.onExpn;
    if (hook === undefined) return this.session.reject(Replies.notImplemented);
    let lines: readonly string[] = [];
    const refusal = await this.runHook(async () => {
      lines = await hook(argument, this.view);
    });
    if (this.ended) return;
    if (refusal !== undefined) this.session.reject(refusal);
    else this.session.accept({ code: 250, enhanced: '2.1.5', lines: lines.length > 0 ? lines : [''] });
  }

  private startMessage(envelope: Envelope): void {
    this.clocks.messageStarted();
    const frozen = { from: envelope.from, params: envelope.params, recipients: [...envelope.recipients] };
    const hook = this.hooks.onData;
    const view = this.view;
    this.message = new Delivery(
      (stream) => (hook === undefined ? undefined : this.runHook(() => hook(stream, frozen, view))),
      () => {
        if (!this.running) this.release();
      },
    );
  }

  private abortMessage(reason: Reply): void {
    this.message?.abort(new SmtpError(reason));
    this.message = undefined;
  }

  private endMessage(): Handled {
    const message = this.message;
    if (message === undefined) return this.answer(Replies.localError);
    message.end();
    // What was answered so far goes out before the wait: storing may take a while.
    const written = this.flush();
    const stored = written === undefined ? message.outcome : written.then(() => message.outcome);
    return stored.then((verdict) => {
      this.message = undefined;
      return this.answer(verdict);
    });
  }

  private runHook(run: () => unknown): Verdict | Promise<Verdict> {
    return runHook(run, this.reportHookError);
  }

  private readonly reportHookError = (error: unknown) => this.host.hookError(error, this.view);

  /** Every refusal is logged with its reason (`esmtp serve --verbose` shows them). */
  private refused(reply: Reply): void {
    if (this.logger === silentLogger) return;
    this.logger.info({ session: this.view.id, reply: replyText(reply) }, `refused: ${replyText(reply)}`);
  }

  /** Writes the replies gathered; a promise when the transport wants the writer to wait. */
  private flush(): Promise<void> | undefined {
    if (this.replies.length === 0) return undefined;
    const wire = this.replies.length === 1 ? (this.replies[0] as string) : this.replies.join('');
    this.replies = [];
    if (this.trace.on) this.trace.replies(wire);
    const written = this.transport.write(wire);
    if (written === undefined || this.ended) return written;
    // The peer is slow to read. Until it takes this write nothing else happens on the connection,
    // so the command deadline is not running: this one is.
    return this.clocks.waitForWrite(written);
  }

  private timedOut(): void {
    if (this.ended) return;
    this.session.shutdown(Replies.timeout);
    this.message?.abort(new EsmtpError('ETIMEOUT', 'the client was too slow sending the message'));
    this.message = undefined;
    this.pump();
  }
}
