/**
 * Splits a byte stream into lines at CRLF, across any chunk boundary, with a hard length limit.
 * @module
 */

const CR = 13;
const LF = 10;

/** What {@link LineReader.next} yields. */
export type LineEvent =
  | {
      /** A complete line. */
      readonly type: 'line';
      /** The line without its line end. A view into the pushed chunk where possible: use it before pushing again. */
      readonly bytes: Uint8Array;
      /** The line contains a LF not preceded by CR (only when bare LF does not end lines). */
      readonly bareLf: boolean;
      /** The line contains a CR not followed by LF. */
      readonly bareCr: boolean;
    }
  | {
      /** The line was longer than the limit. Its bytes were dropped; reading resumes after its end. */
      readonly type: 'too-long';
    };

/** The limits of a {@link LineReader}. */
export interface LineReaderOptions {
  /** Longest line accepted, in octets including the CRLF. Default 4096. */
  maxLength?: number;
  /** Let a bare LF end a line too (for reading replies from lenient servers). Default false. */
  lfEndsLine?: boolean;
}

const TOO_LONG: LineEvent = { type: 'too-long' };
const EMPTY = new Uint8Array(0);

/**
 * A pull-style line splitter. `push()` a chunk, then call `next()` until it returns undefined.
 * It never looks past the line it returns, so a caller can switch to another reader in between
 * (after DATA or BDAT) and take the unread bytes with `takeRest()`.
 *
 * Every byte is scanned once and copied at most once, so a line that arrives a byte at a time
 * costs linear time. A partial line is kept only up to the limit; beyond it the line is reported
 * as too long and discarded up to its CRLF.
 */
export class LineReader {
  /** Longest line accepted, in octets including the CRLF. May be changed between lines. */
  maxLength: number;
  private readonly lfEndsLine: boolean;
  private chunk: Uint8Array = EMPTY;
  private pos = 0; // start of the unread part of `chunk`
  private scan = 0; // where the search for the next LF goes on (bytes before it hold no line end)
  private carry: Uint8Array = EMPTY; // the start of a line that began in an earlier chunk
  private carryLength = 0;
  private carryBareLf = false;
  private skipping = false; // discarding the rest of a too-long line
  private skippedCr = false; // while skipping: the last discarded byte was CR

  constructor(options: LineReaderOptions = {}) {
    this.maxLength = options.maxLength ?? 4096;
    this.lfEndsLine = options.lfEndsLine ?? false;
  }

  /** Adds bytes to read. The reader keeps a view of `chunk`; do not modify it afterwards. */
  push(chunk: Uint8Array): void {
    if (this.pos < this.chunk.length) {
      const joined = new Uint8Array(this.chunk.length - this.pos + chunk.length);
      joined.set(this.chunk.subarray(this.pos));
      joined.set(chunk, this.chunk.length - this.pos);
      this.scan -= this.pos;
      this.chunk = joined;
    } else {
      this.chunk = chunk;
      this.scan = 0;
    }
    this.pos = 0;
  }

  /** The next complete line, a too-long marker, or undefined when more input is needed. */
  next(): LineEvent | undefined {
    const buf = this.chunk;
    for (;;) {
      if (this.pos >= buf.length) return undefined;
      const lf = buf.indexOf(LF, this.scan);
      if (lf < 0) return this.keepPartial();
      const crlf = lf > this.pos ? buf[lf - 1] === CR : this.lastPendingByteIsCr();
      if (!crlf && !this.lfEndsLine) {
        // A bare LF is part of the line, not its end.
        if (!this.skipping) this.carryBareLf = true;
        this.scan = lf + 1;
        continue;
      }
      const start = this.pos;
      this.pos = this.scan = lf + 1;
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      const event = this.finishLine(buf, start, lf, crlf);
      if (event !== undefined) return event;
    }
  }

  /** Takes every byte pushed but not yet returned as a line, and empties the reader. */
  takeRest(): Uint8Array {
    const tail = this.chunk.subarray(this.pos);
    let rest: Uint8Array;
    if (this.skipping || this.carryLength === 0) rest = tail;
    else {
      rest = new Uint8Array(this.carryLength + tail.length);
      rest.set(this.carry.subarray(0, this.carryLength));
      rest.set(tail, this.carryLength);
    }
    this.clear();
    return rest;
  }

  /** Drops everything buffered, as after STARTTLS where nothing read before may be used. */
  clear(): void {
    this.chunk = EMPTY;
    this.pos = this.scan = this.carryLength = 0;
    this.carryBareLf = this.skipping = this.skippedCr = false;
  }

  /** How many bytes are buffered and not yet returned. */
  get buffered(): number {
    return this.chunk.length - this.pos + (this.skipping ? 0 : this.carryLength);
  }

  private lastPendingByteIsCr(): boolean {
    if (this.skipping) return this.skippedCr;
    return this.carryLength > 0 && this.carry[this.carryLength - 1] === CR;
  }

  private finishLine(buf: Uint8Array, start: number, lf: number, crlf: boolean): LineEvent | undefined {
    const total = this.carryLength + (lf + 1 - start);
    const bareLf = this.carryBareLf;
    this.carryBareLf = false;
    if (total > this.maxLength) {
      this.carryLength = 0;
      return TOO_LONG;
    }
    let bytes: Uint8Array;
    if (this.carryLength === 0) bytes = buf.subarray(start, crlf ? lf - 1 : lf);
    else {
      bytes = new Uint8Array(total - (crlf ? 2 : 1));
      const fromCarry = Math.min(this.carryLength, bytes.length);
      bytes.set(this.carry.subarray(0, fromCarry));
      bytes.set(buf.subarray(start, start + bytes.length - fromCarry), fromCarry);
      this.carryLength = 0;
    }
    return { type: 'line', bytes, bareLf, bareCr: hasBareCr(bytes) };
  }

  /** No LF in the rest of the chunk: keep it as the start of a line, or give up on a too-long one. */
  private keepPartial(): LineEvent | undefined {
    const buf = this.chunk;
    const tail = buf.length - this.pos;
    this.pos = this.scan = buf.length;
    if (this.skipping) {
      this.skippedCr = buf[buf.length - 1] === CR;
      return undefined;
    }
    // Even if a LF came next, the line would be longer than the limit.
    if (this.carryLength + tail + 1 > this.maxLength) {
      this.skipping = true;
      this.skippedCr = buf[buf.length - 1] === CR;
      this.carryLength = 0;
      this.carryBareLf = false;
      return TOO_LONG;
    }
    const needed = this.carryLength + tail;
    if (needed > this.carry.length) {
      const grown = new Uint8Array(Math.min(Math.max(needed, this.carry.length * 2, 256), this.maxLength));
      grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
    }
    this.carry.set(buf.subarray(buf.length - tail), this.carryLength);
    this.carryLength = needed;
    return undefined;
  }
}

function hasBareCr(bytes: Uint8Array): boolean {
  return bytes.indexOf(CR) >= 0;
}
