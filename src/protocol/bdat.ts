/**
 * BDAT chunks (RFC 3030 2): exactly `size` octets follow the command line, passed on untouched:
 * never unstuffed and never read as commands, whatever they hold.
 * @module
 */

/** Counts the octets of one BDAT chunk as they arrive. */
export class BdatChunk {
  /** Octets of the chunk still to come. */
  remaining: number;

  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid BDAT chunk size: ${size}`);
    this.remaining = size;
  }

  /** True once every octet of the chunk has been taken. */
  get done(): boolean {
    return this.remaining === 0;
  }

  /**
   * Takes the part of `bytes` that belongs to the chunk (a view, possibly empty). When the chunk
   * is complete, `bytes.subarray(taken.length)` is what follows it.
   */
  take(bytes: Uint8Array): Uint8Array {
    const n = Math.min(this.remaining, bytes.length);
    this.remaining -= n;
    return n === bytes.length ? bytes : bytes.subarray(0, n);
  }
}
