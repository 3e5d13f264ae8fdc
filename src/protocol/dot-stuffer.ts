/**
 * The client side of DATA (RFC 5321 4.5.2): makes any bytes a transparent message body.
 * @module
 */
import { EsmtpError } from './errors.js';
import { WordView } from './words.js';

const CR = 13;
const LF = 10;
const DOT = 46;
const EMPTY = new Uint8Array(0);
const END = new Uint8Array([DOT, CR, LF]);
const CRLF_END = new Uint8Array([CR, LF, DOT, CR, LF]);
const LF_END = new Uint8Array([LF, DOT, CR, LF]);

/** How a {@link DotStuffer} treats line ends. */
export interface DotStufferOptions {
  /** Refuse bare CR and bare LF (EsmtpError `EMESSAGE`) instead of turning them into CRLF. Default false. */
  strict?: boolean;
}

/**
 * Streaming dot-stuffer. `push()` each chunk of the message and send what it returns, then send
 * `end()`. Bare CR and bare LF become CRLF (or, in strict mode, an error), a dot that starts a
 * line gets another, and the body is closed with CRLF `.` CRLF. So the output never holds
 * CRLF `.` CRLF before its end, nor any CR or LF outside a CRLF, whatever the input and however
 * it is split. A chunk that needs no change is returned as it is, without a copy.
 */
export class DotStuffer {
  private readonly strict: boolean;
  private atLineStart = true; // the DATA line's CRLF counts
  private afterCr = false;

  constructor(options: DotStufferOptions = {}) {
    this.strict = options.strict ?? false;
  }

  /**
   * The chunk ready to send: the same object when nothing needs changing, else a new array. Throws
   * an {@link EsmtpError} `EMESSAGE` for a bare CR or LF in strict mode.
   */
  push(chunk: Uint8Array): Uint8Array {
    const len = chunk.length;
    if (len === 0) return EMPTY;
    if (this.needsRewrite(chunk)) return this.rewrite(chunk);
    this.afterCr = chunk[len - 1] === CR;
    this.atLineStart = chunk[len - 1] === LF;
    return chunk;
  }

  /** The bytes that close the message: what completes the last line, then `.` CRLF. */
  end(): Uint8Array {
    const { afterCr, atLineStart } = this;
    this.afterCr = false;
    this.atLineStart = true;
    if (afterCr) {
      if (this.strict) throw bareLineEnd();
      return LF_END;
    }
    return atLineStart ? END : CRLF_END;
  }

  /** False when the chunk is CRLF lines already, none starting with a dot: it can go as it is. */
  private needsRewrite(chunk: Uint8Array): boolean {
    const len = chunk.length;
    const words = WordView.of(chunk);
    let { afterCr, atLineStart } = this;
    for (let i = 0; i < len; i++) {
      if (!afterCr && !atLineStart && words !== undefined) {
        i = words.skipPlainWords(i);
        if (i >= len) break;
      }
      const b = chunk[i];
      if (afterCr) {
        if (b !== LF) return true;
        afterCr = false;
        atLineStart = true;
      } else if (b === CR) {
        afterCr = true;
        atLineStart = false;
      } else if (b === LF || (atLineStart && b === DOT)) return true;
      else atLineStart = false;
    }
    return false;
  }

  private rewrite(chunk: Uint8Array): Uint8Array {
    // Each input byte adds at most one: a doubled dot, or the missing half of a CRLF.
    const out = new Uint8Array(chunk.length * 2 + 1);
    let n = 0;
    let { atLineStart, afterCr } = this;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (afterCr) {
        afterCr = false;
        if (b === LF) {
          out[n++] = LF;
          atLineStart = true;
          continue;
        }
        if (this.strict) throw bareLineEnd();
        out[n++] = LF;
        atLineStart = true;
      }
      if (b === CR) {
        out[n++] = CR;
        afterCr = true;
        atLineStart = false;
      } else if (b === LF) {
        if (this.strict) throw bareLineEnd();
        out[n++] = CR;
        out[n++] = LF;
        atLineStart = true;
      } else {
        if (atLineStart && b === DOT) out[n++] = DOT;
        out[n++] = b;
        atLineStart = false;
      }
    }
    this.atLineStart = atLineStart;
    this.afterCr = afterCr;
    return out.subarray(0, n);
  }
}

function bareLineEnd(): EsmtpError {
  return new EsmtpError('EMESSAGE', 'message contains a bare CR or LF (strict line ends)');
}
