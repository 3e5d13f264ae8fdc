/**
 * A bound on work that takes much memory at once: the full parse of a message (up to the largest
 * size the server accepts) for the API. A burst of requests waits in a short queue, for a while;
 * past either bound it gets 503, and the memory stays bounded.
 * @module
 */
import { HttpError } from './http.js';

export class Limit {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    /** How many run at once. */
    readonly concurrency: number,
    /** How many may wait for their turn. */
    readonly queue: number,
    /** How long one waits, in milliseconds, before it gives up. */
    readonly wait: number,
  ) {}

  /** Runs `task` when a turn is free; 503 when too many wait, or the wait is too long. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running < this.concurrency) this.#running++;
    else await this.#turn();
    try {
      return await task();
    } finally {
      // The turn goes to the first that waits, or back to the pool.
      const next = this.#waiting.shift();
      if (next === undefined) this.#running--;
      else next();
    }
  }

  #turn(): Promise<void> {
    if (this.#waiting.length >= this.queue) return Promise.reject(busy());
    return new Promise((resolve, reject) => {
      const go = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(go), 1);
        reject(busy());
      }, this.wait);
      this.#waiting.push(go);
    });
  }
}

const busy = () => new HttpError(503, 'busy reading other messages: try again', { 'Retry-After': '1' });
