/**
 * Byte scans that read a chunk as 32-bit words, four bytes at a time, so that plain text costs a
 * quarter of a byte loop (the SWAR "has zero byte" and "has high bit" tests).
 * @module
 */

const TOP_FIVE_BITS = 0xf8f8f8f8;
const LOW_CONTROLS = 0x08080808;
const ONES = 0x01010101;
const HIGH = 0x80808080;

/** The aligned 32-bit words inside a chunk, and how many bytes come before the first. */
export class WordView {
  private constructor(
    private readonly words: Uint32Array,
    /** The byte offset of the first whole word. */
    readonly start: number,
  ) {}

  /** The words of `chunk`, or undefined when it is too short for words to pay. */
  static of(chunk: Uint8Array): WordView | undefined {
    const head = (4 - (chunk.byteOffset & 3)) & 3;
    const count = (chunk.length - head) >> 2;
    if (count < 4) return undefined;
    return new WordView(new Uint32Array(chunk.buffer, chunk.byteOffset + head, count), head);
  }

  /**
   * From byte `i`, which must start a word (`((i - start) & 3) === 0`, tested inline by callers
   * as it runs once per byte), the offset of the first word that may hold a CR or LF, or of the
   * end of the words.
   */
  skipPlainWords(i: number): number {
    const words = this.words;
    let w = (i - this.start) >> 2;
    // CR (0x0D) and LF (0x0A) are among the eight bytes 0x08 to 0x0F, the only ones whose top five
    // bits are 00001: one zero-byte test finds them all. TAB and the five other control bytes
    // there are false alarms, which the caller's byte loop clears. Two words a turn, then one.
    const last = words.length - 1;
    while (w < last) {
      const y = ((words[w] as number) & TOP_FIVE_BITS) ^ LOW_CONTROLS;
      const z = ((words[w + 1] as number) & TOP_FIVE_BITS) ^ LOW_CONTROLS;
      if ((((y - ONES) & ~y) | ((z - ONES) & ~z)) & HIGH) break;
      w += 2;
    }
    while (w < words.length) {
      const y = ((words[w] as number) & TOP_FIVE_BITS) ^ LOW_CONTROLS;
      if ((y - ONES) & ~y & HIGH) break;
      w++;
    }
    return this.start + w * 4;
  }

  /** Some word has a byte over 127. */
  anyHighBit(): boolean {
    const words = this.words;
    let any = 0;
    for (let w = 0; w < words.length; w++) any |= words[w] as number;
    return (any & HIGH) !== 0;
  }

  /** The byte offset just after the last whole word. */
  get end(): number {
    return this.start + this.words.length * 4;
  }
}

/** The bytes hold some octet over 127 (8-bit data, RFC 6152). */
export function hasEightBit(bytes: Uint8Array): boolean {
  const words = WordView.of(bytes);
  if (words === undefined) return anyHigh(bytes, 0, bytes.length);
  return anyHigh(bytes, 0, words.start) || words.anyHighBit() || anyHigh(bytes, words.end, bytes.length);
}

function anyHigh(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if ((bytes[i] as number) > 127) return true;
  return false;
}
