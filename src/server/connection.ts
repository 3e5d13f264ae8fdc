/**
 * Drives one `ServerSession` over a `Transport`: feeds it input, writes its replies (batched: one
 * write per drained input), runs the hooks it asks for, streams messages to `onData`, and keeps
 * the deadlines.
 *
 * The hot path stays synchronous: a hook that returns a plain value is answered in the same turn,
 * and input is paused only when it piles up while something is awaited, not around every hook.
 * @module
 */
import type { Address } from '../protocol/address.js';
import { EsmtpError, SmtpError } from '../protocol/errors.js';
import { Replies } from '../protocol/replies.js';
import { encodeReply, type Reply, reply } from '../protocol/reply.js';
import { AuthReplies } from '../session/auth-lines.js';
import type { ServerEvent } from '../session/server-events.js';
import { ServerSession } from '../session/server-session.js';
import type { Transport } from '../transport/transport.js';
import { AuthDriver, type AuthOutcome } from './auth-driver.js';
import { Deadline } from './deadline.js';
import { Delivery } from './delivery.js';
import { runHook, type Verdict } from './hooks.js';
import type { SessionInfo, SmtpServerOptions } from './options.js';
import type { ServerTls } from './tls.js';

const DEFAULT_COMMAND_TIMEOUT = 5 * 60_000;
const DEFAULT_DATA_TIMEOUT = 10 * 60_000;
const DEFAULT_MIN_DATA_RATE = 1024;
const DEFAULT_HOOK_TIMEOUT = 5 * 60_000;
const HOOK_TIMED_OUT = reply(421, '4.3.0', 'Local processing timed out, closing connection');
const TEMPORARY_AUTH_FAILURE = reply(454, '4.7.0', 'Temporary authentication failure');
/** Input kept waiting while a hook runs, beyond which reading is paused. */
const MAX_WAITING_INPUT = 64 * 1024;

/** Whether the connection is done after an event; a promise when that has to be awaited. */
type Handled = boolean | Promise<boolean>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly options: SmtpServerOptions;
  /** The TLS setup, when certificates were given. */
  readonly tls: ServerTls | undefined;
  /** The SASL mechanisms offered, when AUTH is. */
  readonly mechanisms: readonly string[] | undefined;
  /** Keeps the salts shown for unknown SCRAM users stable for the server's life. */
  readonly mockSecret: Uint8Array;
  /** A hook failed with something other than an SmtpError. */
  hookError(error: unknown, session: SessionInfo): void;
  /** The connection has closed. */
  closed(connection: Connection): void;
}

let nextId = 0;

export class Connection implements SessionInfo {
  readonly id = `${Date.now().toString(36)}-${(nextId++).toString(36)}`;
  readonly session: ServerSession;
  private replies: string[] = [];
  private running = false; // pump() is working through events (possibly awaiting a hook)
  private ended = false;
  private held = false; // the transport is paused
  private message: Delivery | undefined;
  private readonly deadline = new Deadline(
    () => this.timedOut(),
    () => this.running, // a hook is running: the client is not the slow one
  );
  /** A peer that does not take our writes is cut off by this deadline, which its input cannot move. */
  private readonly writeDeadline = new Deadline(
    () => this.finish(),
    () => false,
  );
  /** Whatever the pump awaits (a hook, above all) must settle by this deadline. */
  private readonly hookDeadline = new Deadline(
    () => this.hookTimedOut(),
    () => false,
  );
  private gone = false; // the transport has ended: the connection no longer counts
  private dataStart = 0;
  private received = 0;
  private closeWhenIdle = false;
  private readonly auth: AuthDriver | undefined;

  constructor(
    private readonly host: ConnectionHost,
    private readonly transport: Transport,
  ) {
    const o = host.options;
    const hostname = o.hostname ?? 'localhost';
    this.session = new ServerSession({
      ...o,
      hostname,
      secure: transport.secure || o.secure === true,
      starttls: host.tls !== undefined && o.secure !== true && transport.startTls !== undefined,
      requireTls: o.requireTLS ?? false,
      auth:
        o.auth === undefined || host.mechanisms === undefined
          ? undefined
          : {
              mechanisms: host.mechanisms,
              allowInsecure: o.allowInsecureAuth ?? false,
              required: o.requireAuth ?? false,
              ...(o.auth.maxFailures === undefined ? {} : { maxFailures: o.auth.maxFailures }),
            },
    });
    this.auth = o.auth === undefined ? undefined : new AuthDriver(o.auth, this, hostname, host.mockSecret);
  }

  get remoteAddress(): string {
    return this.transport.info.remoteAddress;
  }
  get remotePort(): number {
    return this.transport.info.remotePort;
  }
  get localAddress(): string {
    return this.transport.info.localAddress;
  }
  get localPort(): number {
    return this.transport.info.localPort;
  }
  get secure(): boolean {
    return this.transport.secure;
  }
  get helo(): string | undefined {
    return this.session.helo?.name;
  }
  get user(): string | undefined {
    return this.session.user;
  }
  get tls() {
    return this.transport.tls;
  }
  get envelope() {
    return this.session.envelope;
  }

  /** Greets the client (after `onConnect`) and starts reading. */
  async start(): Promise<void> {
    this.transport.start({
      data: (chunk) => this.receive(chunk),
      end: (error) => this.lost(error),
    });
    this.hold();
    if (this.host.options.secure === true && !(await this.startTls())) return;
    this.armHookDeadline();
    const refusal = await this.runHook(() => this.host.options.onConnect?.(this));
    this.hookDeadline.clear();
    if (this.ended) return;
    if (refusal !== undefined) {
      await this.transport.write(encodeReply(refusal, { enhanced: false }));
      this.finish(true);
      return;
    }
    this.replies.push((this.session.greeting() as { wire: string }).wire);
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
    this.replies.push(encodeReply(final, { enhanced: this.session.enhancedCodes }));
    this.flush();
    this.finish(true); // the transport closes after the pending write
  }

  /** A hook has not settled within `timeouts.hook`: its late answer will find the connection gone. */
  private hookTimedOut(): void {
    if (this.ended) return;
    const seconds = this.hookTimeout() / 1000;
    this.host.hookError(new EsmtpError('ETIMEOUT', `a hook did not settle within ${seconds} s`), this);
    this.abandon(HOOK_TIMED_OUT);
  }

  /** Ends the connection at once, closing or not: no deadline of the server's waits for it. */
  destroy(): void {
    this.finish();
  }

  private receive(chunk: Uint8Array): void {
    this.received += chunk.length;
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
    this.deadline.stop();
    this.writeDeadline.stop();
    this.hookDeadline.stop();
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
          if (event.type !== 'message-data') this.clearCommandDeadline();
          handled = this.handle(event);
        } else if (this.replies.length > 0) {
          handled = this.flush()?.then(() => false) ?? false;
        } else if (this.closeWhenIdle && this.session.envelope === undefined && !this.session.inMessage) {
          this.closeWhenIdle = false;
          this.session.shutdown(Replies.shuttingDown);
          continue;
        } else break;
        if (handled instanceof Promise) {
          this.armHookDeadline();
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
    this.armDeadline();
  }

  private pumpAgain(done: boolean): void {
    this.hookDeadline.clear();
    this.running = false;
    if (!done) this.pump();
  }

  /** A bug, not the client's doing: this connection ends, the others go on. */
  private failed(error: unknown): void {
    this.hookDeadline.clear();
    this.running = false;
    this.host.hookError(error, this);
    this.finish();
  }

  /** Handles one event; true when the connection is done. */
  private handle(event: ServerEvent): Handled {
    const hooks = this.host.options;
    switch (event.type) {
      case 'reply':
        this.replies.push(event.wire);
        return false;
      case 'close': {
        this.flush();
        this.finish(true); // the transport closes after the pending write
        return true;
      }
      case 'helo':
        return this.decide(() => hooks.onHelo?.(event.name, this));
      case 'mail':
        return this.decide(() => {
          this.checkSender(event.from);
          return hooks.onMailFrom?.(event.from, event.params, this);
        });
      case 'rcpt':
        return this.decide(() => hooks.onRcptTo?.(event.to, event.params, this));
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
    if (await this.startTls()) this.session.tlsStarted();
    return this.ended;
  }

  /** Runs the TLS handshake as the server, within the command timeout; false when it failed. */
  private async startTls(): Promise<boolean> {
    const tls = this.host.tls;
    const startTls = this.transport.startTls?.bind(this.transport);
    if (tls === undefined || startTls === undefined) {
      this.finish();
      return false;
    }
    this.hold();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('TLS handshake timeout')), this.commandTimeout());
    });
    try {
      await Promise.race([startTls(tls.socketOptions(), true), timeout]);
      return !this.ended;
    } catch {
      // A failed handshake ends the connection: nothing is ever read in cleartext after it.
      this.finish();
      return false;
    } finally {
      clearTimeout(timer);
      this.release();
    }
  }

  private async authStep(mechanism: string, response: Uint8Array | undefined): Promise<void> {
    const driver = this.auth as AuthDriver;
    this.hold();
    let outcome: AuthOutcome;
    try {
      outcome = await driver.step(mechanism, response);
    } catch (error) {
      driver.reset();
      this.host.hookError(error, this);
      outcome = { failure: TEMPORARY_AUTH_FAILURE, delay: false };
    }
    if ('failure' in outcome && outcome.delay) await sleep(this.host.options.auth?.failureDelay ?? 1000);
    if (this.ended) return;
    if ('challenge' in outcome) this.session.authChallenge(outcome.challenge);
    else if ('user' in outcome) this.session.authSucceeded(outcome.user);
    else this.session.authFailed(outcome.failure);
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
    else this.session.reject(verdict);
    return false;
  }

  /** `auth.senderMustMatch`: the sender must be the authenticated user's own address. */
  private checkSender(from: Address | null): void {
    const rule = this.host.options.auth?.senderMustMatch;
    const user = this.session.user;
    if (rule === undefined || rule === false || user === undefined) return;
    const owned =
      typeof rule === 'function' ? rule(from, user) : from?.address.toLowerCase() === user.toLowerCase();
    if (!owned) throw new SmtpError(AuthReplies.senderNotOwned);
  }

  private async expn(argument: string): Promise<void> {
    const hook = this.host.options.onExpn;
    if (hook === undefined) return this.session.reject(Replies.notImplemented);
    let lines: readonly string[] = [];
    const refusal = await this.runHook(async () => {
      lines = await hook(argument, this);
    });
    if (this.ended) return;
    if (refusal !== undefined) this.session.reject(refusal);
    else this.session.accept({ code: 250, enhanced: '2.1.5', lines: lines.length > 0 ? lines : [''] });
  }

  private startMessage(envelope: NonNullable<SessionInfo['envelope']>): void {
    this.dataStart = Date.now();
    this.received = 0;
    const frozen = { from: envelope.from, params: envelope.params, recipients: [...envelope.recipients] };
    const hook = this.host.options.onData;
    this.message = new Delivery(
      (stream) => (hook === undefined ? undefined : this.runHook(() => hook(stream, frozen, this))),
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

  private readonly reportHookError = (error: unknown) => this.host.hookError(error, this);

  /** Writes the replies gathered; a promise when the transport wants the writer to wait. */
  private flush(): Promise<void> | undefined {
    if (this.replies.length === 0) return undefined;
    const wire = this.replies.length === 1 ? (this.replies[0] as string) : this.replies.join('');
    this.replies = [];
    const written = this.transport.write(wire);
    if (written === undefined || this.ended) return written;
    // The peer is slow to read. Until it takes this write nothing else happens on the connection,
    // so the command deadline is not running: this one is.
    this.writeDeadline.set(Date.now() + this.commandTimeout());
    return written.then(() => this.writeDeadline.clear());
  }

  // ---- deadlines -------------------------------------------------------------------------------

  private clearCommandDeadline(): void {
    if (!this.session.inMessage) this.deadline.clear();
  }

  /** A command must arrive within its timeout, whole; a message within its base plus its rate. */
  private armDeadline(): void {
    if (this.ended || this.session.waiting) return;
    const t = this.host.options.timeouts ?? {};
    if (this.session.inMessage) {
      const rate = t.minDataRate ?? DEFAULT_MIN_DATA_RATE;
      this.deadline.set(this.dataStart + (t.data ?? DEFAULT_DATA_TIMEOUT) + (this.received / rate) * 1000);
    } else if (!this.deadline.armed) {
      this.deadline.set(Date.now() + this.commandTimeout());
    }
  }

  private armHookDeadline(): void {
    this.hookDeadline.set(Date.now() + this.hookTimeout());
  }

  private hookTimeout(): number {
    return this.host.options.timeouts?.hook ?? DEFAULT_HOOK_TIMEOUT;
  }

  private commandTimeout(): number {
    return this.host.options.timeouts?.command ?? DEFAULT_COMMAND_TIMEOUT;
  }

  private timedOut(): void {
    if (this.ended) return;
    this.session.shutdown(Replies.timeout);
    this.message?.abort(new EsmtpError('ETIMEOUT', 'the client was too slow sending the message'));
    this.message = undefined;
    this.pump();
  }
}
