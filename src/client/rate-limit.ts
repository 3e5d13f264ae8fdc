/**
 * The pool's rate limit: a sliding window over the times messages started, so that no span of
 * `interval` milliseconds, wherever it falls, holds more than `messages` starts. Windows fixed on
 * the clock would let a burst at the end of one and another at the start of the next through:
 * twice the rate within one interval.
 * @module
 */

/** At most `messages` message starts in any `interval` milliseconds; see `SmtpPoolOptions.rateLimit`. */
export interface RateLimit {
  /** How many messages may start within any `interval`: a positive integer. */
  messages: number;
  /** The length of the window, in milliseconds: a positive number. */
  interval: number;
}

/**
 * The last `messages` start times, oldest first in a ring. Another start is allowed once the
 * oldest of them lies `interval` or more in the past: then the new one and the `messages - 1`
 * after the oldest are the only starts in any window that holds the new one.
 */
export class SlidingWindow {
  private readonly starts: number[] = [];
  /** Where the next start goes; once the ring is full, the oldest start. */
  private next = 0;

  constructor(private readonly limit: RateLimit) {
    const { messages, interval } = limit;
    if (!Number.isInteger(messages) || messages < 1) {
      throw new RangeError(`rateLimit.messages must be a positive integer, got ${String(messages)}`);
    }
    if (!(interval > 0) || !Number.isFinite(interval)) {
      throw new RangeError(
        `rateLimit.interval must be a positive number of milliseconds, got ${String(interval)}`,
      );
    }
  }

  /** Milliseconds from `now` until another message may start; 0 when one may start now. */
  delay(now: number): number {
    if (this.starts.length < this.limit.messages) return 0;
    return Math.max(0, (this.starts[this.next] as number) + this.limit.interval - now);
  }

  /** A message starts at `now` (which `delay(now)` allowed). */
  record(now: number): void {
    this.starts[this.next] = now;
    this.next = (this.next + 1) % this.limit.messages;
  }
}
