/**
 * The options of `SmtpPool` and its counters, and the checks its bounds get when it is made.
 * @module
 */
import type { RateLimit } from './rate-limit.js';
import type { SmtpClient, SmtpClientOptions } from './smtp-client.js';

/** How {@link SmtpPool} connects (as {@link SmtpClient.connect}), and its bounds. */
export interface SmtpPoolOptions extends Omit<SmtpClientOptions, 'signal'> {
  /** Connections open at once, at most. Default 5. */
  maxConnections?: number;
  /**
   * Messages a connection sends before it QUITs; another opens when one is needed. Default 100.
   * `Infinity` keeps a connection for as long as it lasts.
   */
  maxMessagesPerConnection?: number;
  /**
   * Milliseconds a connection may go unused before the pool QUITs it. Default 30 s. The timer does
   * not keep the process alive, but an idle connection's socket does until then: `close()` the
   * pool when done. `Infinity` keeps idle connections open.
   */
  idleTimeout?: number;
  /**
   * At most `messages` messages start in any span of `interval` milliseconds, wherever the span
   * falls (a sliding window, not windows fixed on the clock), across every connection of the pool.
   * A message starts when the pool hands it to a connection, just before its MAIL FROM is written;
   * each attempt counts, a retry too, so the server sees no more MAIL FROM commands than that.
   * Sends over the limit wait in line. Default: no limit.
   */
  rateLimit?: RateLimit;
  /**
   * Sends waiting for a connection or for the rate limit, at most. One more fails at once with
   * `EQUEUEFULL`, so a producer faster than the server cannot fill memory: await sends in batches,
   * or raise this. Default 1000; `Infinity` lifts the bound.
   */
  maxQueued?: number;
}

/** A snapshot of a pool's counters, for monitoring (see {@link SmtpPool.stats}). */
export interface SmtpPoolStats {
  /** Messages sent: `send()` calls that resolved. */
  readonly sent: number;
  /** `send()` calls that failed, whatever the reason, those refused at once included. */
  readonly failed: number;
  /** Connections opened since the pool was made (connected and negotiated). */
  readonly connectionsOpened: number;
  /** Connections open now, sending or idle. */
  readonly connectionsOpen: number;
  /** Messages being sent now. */
  readonly sending: number;
  /** Sends waiting now for a connection or for the rate limit. */
  readonly queued: number;
}

/** A positive integer option (or Infinity, where `unbounded` allows it). */
export function count(name: string, value: number, unbounded = false): number {
  if ((Number.isInteger(value) && value >= 1) || (unbounded && value === Number.POSITIVE_INFINITY))
    return value;
  throw new RangeError(
    `${name} must be a positive integer${unbounded ? ' or Infinity' : ''}, got ${String(value)}`,
  );
}

/** The longest delay a Node timer takes; a longer one would fire at once. */
const LONGEST_TIMER = 2 ** 31 - 1;

/** A positive number of milliseconds; Infinity, or anything beyond a timer's reach, is never. */
export function duration(name: string, value: number): number {
  if (value > LONGEST_TIMER) return Number.POSITIVE_INFINITY;
  if (value > 0) return value;
  throw new RangeError(`${name} must be a positive number of milliseconds or Infinity, got ${String(value)}`);
}
