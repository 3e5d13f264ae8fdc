/**
 * `SmtpPool`: messages sent over a few reused connections to one server, with a bound on the
 * connections, on the messages per connection, on the sends waiting, and on the rate.
 * @module
 */
import { EsmtpError } from '../protocol/errors.js';
import type { ClientEnvelope } from '../session/client-envelope.js';
import type { SendResult } from '../session/client-session.js';
import { abortError } from './client-connection.js';
import { Fifo } from './fifo.js';
import type { MessageInput } from './message-source.js';
import { count, duration, type SmtpPoolOptions, type SmtpPoolStats } from './pool-options.js';
import { MAX_ATTEMPTS, mayRetry, retryable, uncertainIfUnanswered } from './pool-retry.js';
import { SlidingWindow } from './rate-limit.js';
import { checkedTarget, type SendOptions, SmtpClient, type SmtpClientOptions } from './smtp-client.js';
import { withProgress } from './transaction.js';

/** One `send()` call, from the call until it settles. */
interface Job {
  readonly envelope: ClientEnvelope;
  readonly message: MessageInput;
  readonly signal: AbortSignal | undefined;
  attempts: number;
  resolve(result: SendResult): void;
  reject(error: unknown): void;
  onAbort?: () => void;
}

/** A connection of the pool. */
interface Pooled {
  readonly client: SmtpClient;
  /** Messages started on it. */
  messages: number;
  /** It waits in the pool's idle list. */
  idle: boolean;
  /** Retires it once it has been idle for `idleTimeout`. */
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Sends messages to one server over up to `maxConnections` reused connections, each negotiated
 * as {@link SmtpClient.connect} does. Connections open when messages wait for one, QUIT after
 * `maxMessagesPerConnection` messages or `idleTimeout` unused, and are replaced when the server
 * closes them (after a 421, say).
 *
 * A message is sent again on another connection, twice at most, only when none of it reached the
 * server: its connection failed to open (a refused connection, a 421 greeting), was found closed,
 * or failed before MAIL FROM was accepted. A message whose end was sent but whose reply never came
 * is never sent again: it fails with `EUNCERTAIN`, for the caller to decide.
 */
export class SmtpPool implements AsyncDisposable {
  private readonly url: string | URL;
  private readonly clientOptions: SmtpClientOptions;
  private readonly maxConnections: number;
  private readonly maxMessages: number;
  private readonly idleTimeout: number;
  private readonly maxQueued: number;
  private readonly window: SlidingWindow | undefined;
  private readonly waiting = new Fifo<Job>();
  private readonly idle: Pooled[] = [];
  /** Connections open, idle or sending. */
  private open = 0;
  private sending = 0;
  /**
   * Connections being opened, until each is in the idle list or has failed, with what aborts it
   * once the pool has closed and no message needs it.
   */
  private readonly opening = new Map<Promise<void>, AbortController>();
  /** QUITs under way. */
  private readonly quitting = new Set<Promise<void>>();
  /** Wakes the pool when the rate limit lets the next message start. */
  private rateTimer: ReturnType<typeof setTimeout> | undefined;
  private closed: Promise<void> | undefined;
  /** Called when nothing is sending or waiting, while `close()` waits for that. */
  private drained: (() => void) | undefined;
  private readonly counts = { sent: 0, failed: 0, connectionsOpened: 0 };

  /**
   * A pool for `smtp://`, `smtps://` or `lmtp://` URLs, as {@link SmtpClient.connect} takes. It
   * connects only when the first message is sent. A bad URL or option is a TypeError or a
   * RangeError here.
   */
  constructor(url: string | URL, options: SmtpPoolOptions = {}) {
    const { maxConnections, maxMessagesPerConnection, idleTimeout, rateLimit, maxQueued, ...client } =
      options;
    checkedTarget(url, client);
    this.url = url;
    this.clientOptions = client;
    this.maxConnections = count('maxConnections', maxConnections ?? 5);
    this.maxMessages = count('maxMessagesPerConnection', maxMessagesPerConnection ?? 100, true);
    this.idleTimeout = duration('idleTimeout', idleTimeout ?? 30_000);
    this.maxQueued = count('maxQueued', maxQueued ?? 1000, true);
    this.window = rateLimit === undefined ? undefined : new SlidingWindow(rateLimit);
  }

  /** The counters, as they are now. */
  get stats(): SmtpPoolStats {
    return Object.freeze({
      ...this.counts,
      connectionsOpen: this.open,
      sending: this.sending,
      queued: this.waiting.length,
    });
  }

  /**
   * Sends one message over one of the pool's connections, once one is free and the rate limit
   * allows; resolves and fails as {@link SmtpClient.send} does, and also fails with:
   * `EUNCERTAIN` when the message was sent whole and no reply came (its `cause` says why; the
   * message may have been delivered and is not sent again), `EQUEUEFULL` when `maxQueued` sends
   * already wait, and `ECLOSED` once `close()` has been called. The `signal` ends a send that waits
   * at once, and one being sent as {@link SmtpClient.send} does (its connection is closed).
   */
  send(envelope: ClientEnvelope, message: MessageInput, options: SendOptions = {}): Promise<SendResult> {
    const { signal } = options;
    let refusal: EsmtpError | undefined;
    if (this.closed !== undefined) {
      refusal = new EsmtpError('ECLOSED', 'the pool is closed: it takes no more messages');
    } else if (signal?.aborted) refusal = abortError(signal);
    else if (this.waiting.length >= this.maxQueued) {
      refusal = new EsmtpError('EQUEUEFULL', `${this.maxQueued} sends are already waiting in the pool`);
    }
    if (refusal !== undefined) {
      this.counts.failed++;
      return Promise.reject(withProgress(refusal, 'nothing'));
    }
    return new Promise((resolve, reject) => {
      const job: Job = { envelope, message, signal, attempts: 0, resolve, reject };
      if (signal !== undefined) {
        job.onAbort = () => this.abandon(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.waiting.push(job);
      this.pump();
    });
  }

  /**
   * Takes no more messages (`send()` fails with `ECLOSED`), sends every message already taken,
   * those being sent and those waiting alike, then QUITs every connection. Resolves once all are
   * closed; calling it again returns the same promise. To drop the waiting messages instead, abort
   * their signals.
   */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  /** `await using pool = new SmtpPool(...)`: `close()` when it goes out of scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Starts every message that can start now: a connection is idle and the rate allows. */
  private pump(): void {
    while (this.waiting.length > 0) {
      if (this.idle.length === 0) {
        this.openForWaiting();
        break;
      }
      const now = this.window === undefined ? 0 : performance.now();
      const wait = this.window?.delay(now) ?? 0;
      if (wait > 0) {
        this.wakeIn(wait);
        break;
      }
      const pooled = this.idle.pop() as Pooled;
      pooled.idle = false;
      if (pooled.client.closed) {
        this.gone(pooled); // closed by the server while idle
        continue;
      }
      this.window?.record(now);
      void this.run(this.waiting.shift() as Job, pooled);
    }
    if (this.drained !== undefined && this.waiting.length === 0 && this.sending === 0) this.drained();
  }

  /** One attempt of `job` on `pooled`, then what comes of it: a result, a retry or a failure. */
  private async run(job: Job, pooled: Pooled): Promise<void> {
    this.sending++;
    pooled.messages++;
    job.attempts++;
    let result: SendResult | undefined;
    let failure: unknown;
    try {
      result = await pooled.client.send(job.envelope, job.message, { signal: job.signal });
    } catch (error) {
      failure = error;
    }
    this.sending--;
    const retry = result === undefined && mayRetry(job.attempts, job.signal, failure);
    if (retry) this.waiting.unshift(job);
    this.release(pooled);
    if (result !== undefined) this.succeed(job, result);
    else if (!retry) this.fail(job, uncertainIfUnanswered(failure));
    this.pump();
  }

  /** Opens connections for the messages waiting, as far as `maxConnections` allows. */
  private openForWaiting(): void {
    while (this.opening.size < this.waiting.length && this.open + this.opening.size < this.maxConnections) {
      const abort = new AbortController();
      const opened: Promise<void> = this.connect(abort.signal).finally(() => {
        this.opening.delete(opened);
        this.pump();
      });
      this.opening.set(opened, abort);
    }
  }

  private async connect(signal: AbortSignal): Promise<void> {
    let client: SmtpClient;
    try {
      client = await SmtpClient.connect(this.url, { ...this.clientOptions, signal });
    } catch (error) {
      this.connectFailed(error);
      return;
    }
    this.open++;
    this.counts.connectionsOpened++;
    this.release({ client, messages: 0, idle: false, timer: undefined });
  }

  /** A connection that failed to open counts as an attempt of the message first in line. */
  private connectFailed(error: unknown): void {
    const job = this.waiting.shift();
    if (job === undefined) return;
    job.attempts++;
    if (job.attempts < MAX_ATTEMPTS && retryable(error)) this.waiting.unshift(job);
    else this.fail(job, withProgress(error, 'nothing'));
  }

  /** A connection is free again: back to the idle list, or QUIT when its time is up. */
  private release(pooled: Pooled): void {
    if (pooled.client.closed) this.gone(pooled);
    else if (
      pooled.messages >= this.maxMessages ||
      (this.closed !== undefined && this.waiting.length === 0)
    ) {
      this.retire(pooled);
    } else {
      pooled.idle = true;
      this.idle.push(pooled);
      this.startIdleTimer(pooled);
    }
  }

  private startIdleTimer(pooled: Pooled): void {
    if (pooled.timer !== undefined) pooled.timer.refresh();
    else if (Number.isFinite(this.idleTimeout)) {
      pooled.timer = setTimeout(() => this.expire(pooled), this.idleTimeout);
      pooled.timer.unref(); // an idle pool does not keep the process alive
    }
  }

  /** The idle timer fired: QUIT the connection, unless it is sending (it restarts the timer when free). */
  private expire(pooled: Pooled): void {
    if (!pooled.idle) return;
    this.idle.splice(this.idle.indexOf(pooled), 1);
    pooled.idle = false;
    this.retire(pooled);
  }

  /** QUITs a connection (in the background; `close()` waits for it). */
  private retire(pooled: Pooled): void {
    this.gone(pooled);
    const quit = pooled.client.quit();
    this.quitting.add(quit);
    void quit.then(() => this.quitting.delete(quit));
  }

  /** A connection leaves the pool. */
  private gone(pooled: Pooled): void {
    this.open--;
    clearTimeout(pooled.timer);
  }

  /** Runs `pump()` once the rate limit lets the next message start, `ms` from now. */
  private wakeIn(ms: number): void {
    if (this.rateTimer !== undefined) return;
    this.rateTimer = setTimeout(() => {
      this.rateTimer = undefined;
      this.pump();
    }, Math.ceil(ms));
  }

  /** The signal of a waiting send fired: it fails at once. One being sent is the client's to end. */
  private abandon(job: Job): void {
    if (!this.waiting.remove(job)) return;
    this.fail(job, withProgress(abortError(job.signal as AbortSignal), 'nothing'));
    this.pump();
  }

  private succeed(job: Job, result: SendResult): void {
    this.counts.sent++;
    this.settled(job);
    job.resolve(result);
  }

  private fail(job: Job, error: unknown): void {
    this.counts.failed++;
    this.settled(job);
    job.reject(error);
  }

  private settled(job: Job): void {
    if (job.onAbort !== undefined) job.signal?.removeEventListener('abort', job.onAbort);
  }

  private async shutdown(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.drained = resolve;
      this.pump();
    });
    this.drained = undefined;
    clearTimeout(this.rateTimer);
    // Nothing waits any more: connections still being opened are not needed.
    for (const abort of this.opening.values()) abort.abort();
    await Promise.all(this.opening.keys());
    for (const pooled of this.idle.splice(0)) {
      pooled.idle = false;
      this.retire(pooled);
    }
    await Promise.all(this.quitting);
  }
}
