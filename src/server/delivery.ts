/**
 * One message on its way to `onData`: the Readable the hook reads, with backpressure, and the
 * hook's verdict.
 * @module
 */
import { Readable } from 'node:stream';
import type { Outcomes, Verdict } from './hooks.js';

export class Delivery {
  readonly stream: Readable;
  /** Settles once the hook has returned, with its verdict. */
  readonly outcome: Promise<Verdict | Outcomes>;
  /** The stream holds as much as it wants until the hook reads some. */
  full = false;
  /** The hook no longer reads: the rest of the message is read from the client and dropped. */
  private dropping = false;

  /**
   * `hand` gives the stream to the hook and returns its verdict; `wantsMore` is called when the
   * hook has read what filled the stream, or stopped reading for good.
   */
  constructor(
    hand: (stream: Readable) => Verdict | Outcomes | Promise<Verdict | Outcomes>,
    private readonly wantsMore: () => void,
  ) {
    const stream = new MessageStream(this);
    // The stream may be errored by us (abort); a hook that never listens must not crash the process.
    stream.on('error', ignore);
    this.stream = stream;
    this.outcome = Promise.resolve(hand(stream)).then((verdict) => {
      // No hook, or one that returned before reading it all: the rest is dropped, not stalled on.
      this.drop();
      return verdict;
    });
  }

  push(bytes: Uint8Array): void {
    if (this.dropping) return;
    if (!this.stream.push(bytes)) this.full = true;
  }

  /** The whole message has been pushed. */
  end(): void {
    if (!this.dropping) this.stream.push(null);
  }

  /** The message will not be delivered: the hook's stream errors with `reason`. */
  abort(reason: Error): void {
    this.full = false;
    if (!this.stream.destroyed) this.stream.destroy(reason);
  }

  /** The hook has read what filled the stream. */
  readAgain(): void {
    this.full = false;
    this.wantsMore();
  }

  /**
   * The stream is destroyed: by the hook (`for await` left early, a failed pipeline, `destroy()`),
   * by us, or once read to its end. Nobody will read it again, so waiting for it to drain would
   * stall the client until its deadline.
   */
  destroyed(): void {
    this.drop();
  }

  private drop(): void {
    if (this.dropping) return;
    this.dropping = true;
    if (!this.stream.destroyed) this.stream.destroy(); // frees what the hook left unread
    if (this.full) {
      this.full = false;
      this.wantsMore();
    }
  }
}

/** The Readable `onData` gets: it tells its delivery when it is read from and when destroyed. */
class MessageStream extends Readable {
  // Truly private: the hook holds this object, and may set properties of its own on it.
  readonly #delivery: Delivery;

  constructor(delivery: Delivery) {
    super();
    this.#delivery = delivery;
  }

  override _read(): void {
    this.#delivery.readAgain();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    try {
      this.#delivery.destroyed();
    } finally {
      callback(error);
    }
  }
}

const ignore = () => {};
