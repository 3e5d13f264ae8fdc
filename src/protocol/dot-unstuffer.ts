/**
 * The server side of DATA (RFC 5321 4.1.1.4, 4.5.2): finds the end of the message and removes
 * dot-stuffing, on bytes, in one pass, without copying.
 * @module
 */

import { WordView } from './words.js';

const CR = 13;
const LF = 10;
const DOT = 46;
const CR_ONLY = new Uint8Array([CR]);

enum State {
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

/** What a {@link DotUnstuffer} reports as a long line. */
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
    let state = this.state;
    if (state === State.DotCr) {
      if (chunk[0] === LF) return this.finish(1);
      // The held-back CR was not the end: it is a bare CR of the body.
      this.bareCr = true;
      this.emitBytes(CR_ONLY, emit);
      state = State.Mid;
    }
    const words = WordView.of(chunk);
    let lineStart = -this.lineLength; // where the current line began, relative to this chunk
    let segment = 0; // start of the bytes not yet emitted
    let i = 0;
    while (i < len) {
      if (state === State.Mid) {
        if (words !== undefined) {
          i = words.skipPlainWords(i);
          if (i >= len) break;
        }
        const b = chunk[i];
        if (b === CR) {
          // The common line end, taken in one step: CR LF, then a byte that is not a dot, CR or LF
          // (so the next line starts as plain text).
          if (i + 2 < len && chunk[i + 1] === LF) {
            if (i + 2 - lineStart > this.maxLineLength) this.longLine = true;
            lineStart = i + 2;
            const next = chunk[i + 2];
            if (next !== DOT && next !== CR && next !== LF) i += 3;
            else {
              state = State.LineStart;
              i += 2;
            }
            continue;
          }
          state = State.Cr;
        } else if (b === LF) this.bareLf = true;
        i++;
        continue;
      }
      const b = chunk[i];
      switch (state) {
        case State.Cr:
          if (b === LF) {
            if (i + 1 - lineStart > this.maxLineLength) this.longLine = true;
            lineStart = i + 1;
            state = State.LineStart;
          } else {
            this.bareCr = true;
            if (b !== CR) state = State.Mid;
          }
          break;
        case State.LineStart:
          if (b === DOT) {
            // Stuffing or the end: either way the dot is not part of the body.
            this.emitRange(chunk, segment, i, emit);
            segment = i + 1;
            state = State.Dot;
          } else if (b === CR) state = State.Cr;
          else {
            if (b === LF) this.bareLf = true;
            state = State.Mid;
          }
          break;
        case State.Dot:
          if (b === CR) state = State.DotCr;
          else {
            if (b === LF) this.bareLf = true;
            state = State.Mid;
          }
          break;
        default: // State.DotCr
          if (b === LF) return this.finish(i + 1);
          this.bareCr = true;
          state = b === CR ? State.Cr : State.Mid;
      }
      i++;
    }
    // A CR right after a line-starting dot may be the end: hold it back until the next byte is known.
    this.emitRange(chunk, segment, state === State.DotCr ? len - 1 : len, emit);
    this.state = state;
    this.lineLength = len - lineStart;
    return -1;
  }

  /** Makes the reader ready for another message. */
  reset(): void {
    this.state = State.LineStart;
    this.lineLength = this.size = 0;
    this.bareCr = this.bareLf = this.longLine = false;
  }

  private finish(end: number): number {
    this.state = State.LineStart;
    this.lineLength = 0;
    return end;
  }

  private emitRange(chunk: Uint8Array, from: number, to: number, emit: (bytes: Uint8Array) => void): void {
    if (to > from) this.emitBytes(chunk.subarray(from, to), emit);
  }

  private emitBytes(bytes: Uint8Array, emit: (bytes: Uint8Array) => void): void {
    this.size += bytes.length;
    emit(bytes);
  }
}
