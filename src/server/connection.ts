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
import { type Reply, reply } from '../protocol/reply.js';
import type { ServerEvent } from '../session/server-events.js';
import { type ServerSession, sessionWithResolvedOptions } from '../session/server-session.js';
import { serverChannels } from '../tracing/channels.js';
import { WireTrace } from '../tracing/wire.js';
import type { Transport } from '../transport/transport.js';
import { Answers, type Handled } from './answers.js';
import { AuthDriver, checkSender } from './auth-driver.js';
import { ConnectionClocks } from './clocks.js';
import type { Delivery } from './delivery.js';
import { accepts } from './hooks.js';
import type { ServerAuthOptions, SessionInfo, SmtpServerOptions } from './options.js';
import { RepliesOut } from './replies-out.js';
import { SessionView, type Viewed } from './session-view.js';
import type { ServerSettings } from './settings.js';
import { upgradeToTls } from './tls-upgrade.js';

const HOOK_TIMED_OUT = reply(421, '4.3.0', 'Local processing timed out, closing connection');
/** Input kept waiting while a hook runs, beyond which reading is paused. */
const MAX_WAITING_INPUT = 64 * 1024;

const latin1 = new TextDecoder('latin1');

/** The state of a connection when the server makes none. */
const emptyState = <State>(): State => ({}) as State;

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
  private readonly out: RepliesOut;
  private running = false; // pump() is working through events (possibly awaiting a hook)
  private ended = false;
  private held = false; // the transport is paused
  private message: Delivery | undefined;
  private readonly clocks: ConnectionClocks;
  /** Traces the wire (`esmtp:server:*` channels, the logger at debug). */
  readonly trace: WireTrace;
  private gone = false; // the transport has ended: the connection no longer counts
  private closeWhenIdle = false;
  private readonly auth: AuthDriver | undefined;
  private readonly answers: Answers<State>;

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
    const starttls = settings.tls !== undefined && o.secure !== true && transport.startTls !== undefined;
    this.session = sessionWithResolvedOptions(
      starttls ? settings.session.starttls : settings.session.plain,
      transport.secure || o.secure === true,
      (line) => {
        if (this.trace.on) this.trace.commands(latin1.decode(line));
      },
    );
    this.view = new SessionView<State>(this, o.state ?? emptyState);
    this.answers = new Answers(this.session, o, this.view, this.reportHookError, () => !this.ended);
    this.trace = new WireTrace(this.view.id, 'server', settings.logger, serverChannels);
    this.out = new RepliesOut(transport, this.clocks, this.trace, settings.logger);
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
    const verdict = await this.answers.run(() => this.hooks.onConnect?.(this.view));
    this.clocks.settled();
    if (this.ended) return;
    const greeting = this.session.greeting() as { wire: string; reply: Reply };
    if (verdict === undefined) this.out.push(greeting.wire, greeting.reply);
    else this.out.add(verdict, false); // the hook's greeting, or its refusal instead of one
    if (verdict === undefined || accepts(verdict)) return this.pump();
    await this.out.flush();
    this.finish(true);
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
    this.out.add(final, this.session.enhancedCodes);
    this.out.flush();
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
        } else if (this.out.pending) {
          handled = this.out.flush()?.then(() => false) ?? false;
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
    const answers = this.answers;
    switch (event.type) {
      case 'reply':
        this.out.push(event.wire, event.reply);
        return false;
      case 'close': {
        this.out.flush();
        this.finish(true); // the transport closes after the pending write
        return true;
      }
      case 'helo':
        return answers.decide(() => hooks.onHelo?.(event.name, view));
      case 'mail':
        return answers.decide(() => {
          checkSender(hooks.auth?.senderMustMatch, event.from, this.session.user);
          return hooks.onMailFrom?.(event.from, event.params, view);
        });
      case 'rcpt':
        return answers.decide(() => hooks.onRcptTo?.(event.to, event.params, view));
      case 'expn':
        return answers.expn(event.argument);
      case 'message-start':
        this.clocks.messageStarted();
        this.message = answers.startMessage(event.envelope, this.wantsMore);
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
        if (hooks.onReset !== undefined) this.answers.run(() => hooks.onReset?.(event.reason, view));
        return false;
    }
  }

  private async starttls(): Promise<boolean> {
    await this.out.flush();
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
    const s = this.host.settings;
    const secure =
      tls !== undefined && (await upgradeToTls(this.transport, tls, s.timeouts.command, s.logger));
    if (!secure) this.finish();
    else if (!this.ended) {
      const verdict = await this.answers.run(() => this.hooks.onSecure?.(this.view));
      if (verdict !== undefined && !accepts(verdict) && !this.ended) {
        this.out.add(verdict, this.session.enhancedCodes);
        await this.out.flush();
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

  private abortMessage(reason: Reply): void {
    this.message?.abort(new SmtpError(reason));
    this.message = undefined;
  }

  /** The message's end: what was answered so far goes out first, since storing may take a while. */
  private endMessage(): Handled {
    const message = this.message;
    message?.end();
    return this.answers.endMessage(message, this.out.flush(), this.messageSettled);
  }

  /** The hook has answered: until now, a client that goes away still errors the message stream. */
  private readonly messageSettled = () => {
    this.message = undefined;
  };

  /** The hook has read what filled the message stream: read from the client again. */
  private readonly wantsMore = () => {
    if (!this.running) this.release();
  };

  private readonly reportHookError = (error: unknown) => this.host.hookError(error, this.view);

  private timedOut(): void {
    if (this.ended) return;
    this.session.shutdown(Replies.timeout);
    this.message?.abort(new EsmtpError('ETIMEOUT', 'the client was too slow sending the message'));
    this.message = undefined;
    this.pump();
  }
}
