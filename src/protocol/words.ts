/**
 * Byte scans that read a chunk as 32-bit words, four bytes at a time, so that plain text costs a
 * quarter of a byte loop (the SWAR "has zero byte" and "has high bit" tests).
 * @module
 */

/** The aligned 32-bit words inside a chunk, and how many bytes come before the first. */
export class WordView {
  private constructor(
    private readonly bytes: Uint8Array,
    private readonly words: Uint32Array,
    /** The byte offset of the first whole word. */
    readonly start: number,
  ) {}

  /** The words of `chunk`, or undefined when it is too short for words to pay. */
  static of(chunk: Uint8Array): WordView | undefined {
    const head = (4 - (chunk.byteOffset & 3)) & 3;
    const count = (chunk.length - head) >> 2;
    if (count < 4) return undefined;
    return new WordView(chunk, new Uint32Array(chunk.buffer, chunk.byteOffset + head, count), head);
  }

  /**
   * From byte `i`, the first byte that may be CR or LF: the bytes up to the next whole word one by
   * one, then whole words.
   */
  skipPlainWords(i: number): number {
    if (i < this.start) return i;
    const bytes = this.bytes;
    while (((i - this.start) & 3) !== 0) {
      if (((bytes[i] as number) & 0xf8) === 0x08 || i + 1 >= bytes.length) return i;
      i++;
    }
    const words = this.words;
    let w = (i - this.start) >> 2;
    // CR (0x0D) and LF (0x0A) are among the eight bytes 0x08 to 0x0F, the only ones whose top five
    // bits are 00001: one zero-byte test on (x & 0xF8..) ^ 0x08.. finds them all. TAB and the five
    // other control bytes there are false alarms, which the caller's byte loop clears. Two words
    // a turn, then one. The masks are written out: a module constant would be a load per turn.
    const last = words.length - 1;
    while (w < last) {
      const y = ((words[w] as number) & 0xf8f8f8f8) ^ 0x08080808;
      const z = ((words[w + 1] as number) & 0xf8f8f8f8) ^ 0x08080808;
      if ((((y - 0x01010101) & ~y) | ((z - 0x01010101) & ~z)) & 0x80808080) break;
      w += 2;
    }
    while (w < words.length) {
      const y = ((words[w] as number) & 0xf8f8f8f8) ^ 0x08080808;
      if ((y - 0x01010101) & ~y & 0x80808080) break;
      w++;
    }
    return this.start + w * 4;
  }

  /** Some word has a byte over 127. */
  anyHighBit(): boolean {
    const words = this.words;
    let any = 0;
    for (let w = 0; w < words.length; w++) any |= words[w] as number;
    return (any & 0x80808080) !== 0;
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
