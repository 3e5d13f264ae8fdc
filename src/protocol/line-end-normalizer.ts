/**
 * Turns bare CR and bare LF into CRLF in a stream of bytes, for servers that accept such messages
 * instead of refusing them (`bareLineEnds: 'normalize'`). Applied after the end of DATA was found,
 * never before: normalising first would let a smuggled `\n.\n` end the message.
 * @module
 */

const CR = 13;
const LF = 10;
const CRLF = new Uint8Array([CR, LF]);
const EMPTY = new Uint8Array(0);

/**
 * Streaming: `push()` each chunk and use what it returns, then `end()`. A CR at the end of one
 * chunk and a LF at the start of the next are one CRLF, not two line ends.
 */
export class LineEndNormalizer {
  private afterCr = false;

  /** The bytes with their line ends made CRLF. A chunk that needs no change is returned as it is. */
  push(chunk: Uint8Array): Uint8Array {
    const len = chunk.length;
    if (len === 0) return EMPTY;
    if (!this.needsRewrite(chunk)) {
      this.afterCr = chunk[len - 1] === CR;
      return chunk;
    }
    const out = new Uint8Array(len * 2 + 1);
    let n = 0;
    let afterCr = this.afterCr;
    for (let i = 0; i < len; i++) {
      const b = chunk[i] as number;
      if (afterCr && b !== LF) out[n++] = LF;
      if (b === LF && !afterCr) out[n++] = CR;
      out[n++] = b;
      afterCr = b === CR;
    }
    this.afterCr = afterCr;
    return out.subarray(0, n);
  }

  /** What completes a CR left at the very end, if any. */
  end(): Uint8Array {
    const afterCr = this.afterCr;
    this.afterCr = false;
    return afterCr ? CRLF.subarray(1) : EMPTY;
  }

  private needsRewrite(chunk: Uint8Array): boolean {
    if (this.afterCr && chunk[0] !== LF) return true;
    for (let lf = chunk.indexOf(LF); lf >= 0; lf = chunk.indexOf(LF, lf + 1)) {
      if (lf === 0 ? !this.afterCr : chunk[lf - 1] !== CR) return true;
    }
    for (let cr = chunk.indexOf(CR); cr >= 0 && cr < chunk.length - 1; cr = chunk.indexOf(CR, cr + 1)) {
      if (chunk[cr + 1] !== LF) return true;
    }
    return false;
  }
}
