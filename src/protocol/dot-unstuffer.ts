/**
 * The server side of DATA (RFC 5321 4.1.1.4, 4.5.2): finds the end of the message and removes
 * dot-stuffing, on bytes, in one pass, without copying.
 * @module
 */

const CR = 13;
const LF = 10;
const DOT = 46;
const CR_ONLY = new Uint8Array([CR]);

const enum State {
  /** After CRLF (or at the start: the CRLF of the DATA line counts). */
  LineStart = 0,
  /** Inside a line, the last byte not CR. */
  Mid = 1,
  /** Inside a line, the last byte CR. */
  Cr = 2,
  /** A dot at the start of a line, not yet known to be stuffing or the end. */
  Dot = 3,
  /** `.` CR at the start of a line: the end if LF follows. */
  DotCr = 4,
}

export interface DotUnstufferOptions {
  /** Lines longer than this (in octets, with the CRLF) set `longLine`. Default 1000 (RFC 5321 4.5.3.1.6). */
  maxLineLength?: number;
}

/**
 * Streaming DATA reader. Only CRLF `.` CRLF ends the message; the CRLF that ended the DATA command
 * counts as the first, so `.\r\n` at once is an empty message. The first dot of every line that
 * starts with one is removed. Nothing else is changed: bare CR, bare LF and NUL pass through as they
 * are and are reported in `bareCr`, `bareLf` and `longLine` for the session to apply its policy
 * after the end, so that no lone CR or LF can ever end a message.
 *
 * ```ts
 * const end = unstuffer.push(chunk, (bytes) => body.push(bytes));
 * if (end >= 0) next = chunk.subarray(end); // the message ended; bytes from `end` are commands
 * ```
 */
export class DotUnstuffer {
  /** The body contains a CR not followed by LF. */
  bareCr = false;
  /** The body contains a LF not preceded by CR. */
  bareLf = false;
  /** A line was longer than `maxLineLength`. */
  longLine = false;
  /** Body octets emitted so far (after unstuffing). */
  size = 0;
  private readonly maxLineLength: number;
  private state: State = State.LineStart;
  private lineLength = 0; // octets of the current line seen in earlier chunks

  constructor(options: DotUnstufferOptions = {}) {
    this.maxLineLength = options.maxLineLength ?? 1000;
  }

  /**
   * Reads a chunk, passing the body bytes in it to `emit` (as views into `chunk`). Returns -1 while
   * the message goes on, or the offset in `chunk` just after the final `.` CRLF once it has ended;
   * the bytes from there on are not part of the message.
   */
  push(chunk: Uint8Array, emit: (bytes: Uint8Array) => void): number {
    const len = chunk.length;
    if (len === 0) return -1;
    let p = 0;
    switch (this.state) {
      case State.Cr:
        if (chunk[0] === LF) {
          this.checkLineLength(this.lineLength + 1);
          this.lineLength = 0;
          this.state = State.LineStart;
          p = 1;
        } else this.bareCr = true;
        break;
      case State.Dot:
        if (chunk[0] === CR) {
          if (len === 1) return this.pause(State.DotCr, 2);
          if (chunk[1] === LF) return this.finish(2);
        }
        break; // not the end: the dot was stuffing and is dropped
      case State.DotCr:
        if (chunk[0] === LF) return this.finish(1);
        this.bareCr = true;
        this.emitBytes(CR_ONLY, emit);
        break;
    }
    let atLineStart = this.state === State.LineStart;
    let lineStart = atLineStart ? p : -this.lineLength;
    let segment = 0; // start of the bytes not yet emitted
    let nextCr = -1; // the next CR at or after p, or len when there is none
    for (;;) {
      if (atLineStart) {
        lineStart = p;
        if (p >= len) break;
        if (chunk[p] === DOT) {
          this.emitRange(chunk, segment, p, emit);
          if (p + 1 >= len) return this.pause(State.Dot, 1);
          if (chunk[p + 1] === CR) {
            if (p + 2 >= len) return this.pause(State.DotCr, 2);
            if (chunk[p + 2] === LF) return this.finish(p + 3);
          }
          segment = p + 1; // drop the stuffed dot
        }
        atLineStart = false;
      }
      const lf = chunk.indexOf(LF, p);
      if (lf < 0) {
        if (!this.bareCr) {
          if (nextCr < p) nextCr = indexOrEnd(chunk, CR, p);
          if (nextCr < len - 1) this.bareCr = true;
        }
        this.state = chunk[len - 1] === CR ? State.Cr : State.Mid;
        break;
      }
      if (!this.bareCr) {
        if (nextCr < p) nextCr = indexOrEnd(chunk, CR, p);
        if (nextCr < lf - 1) this.bareCr = true;
      }
      if (lf > 0 && chunk[lf - 1] === CR) {
        this.checkLineLength(lf + 1 - lineStart);
        atLineStart = true;
      } else {
        this.bareLf = true;
        atLineStart = false;
      }
      p = lf + 1;
    }
    if (atLineStart) this.state = State.LineStart;
    this.lineLength = len - lineStart;
    this.emitRange(chunk, segment, len, emit);
    return -1;
  }

  /** Makes the reader ready for another message. */
  reset(): void {
    this.state = State.LineStart;
    this.lineLength = this.size = 0;
    this.bareCr = this.bareLf = this.longLine = false;
  }

  private pause(state: State, pending: number): number {
    this.state = state;
    this.lineLength = pending;
    return -1;
  }

  private finish(end: number): number {
    this.state = State.LineStart;
    this.lineLength = 0;
    return end;
  }

  private checkLineLength(length: number): void {
    if (length > this.maxLineLength) this.longLine = true;
  }

  private emitRange(chunk: Uint8Array, from: number, to: number, emit: (bytes: Uint8Array) => void): void {
    if (to > from) this.emitBytes(chunk.subarray(from, to), emit);
  }

  private emitBytes(bytes: Uint8Array, emit: (bytes: Uint8Array) => void): void {
    this.size += bytes.length;
    emit(bytes);
  }
}

function indexOrEnd(chunk: Uint8Array, byte: number, from: number): number {
  const i = chunk.indexOf(byte, from);
  return i < 0 ? chunk.length : i;
}
