import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DotStuffer } from '../../src/protocol/dot-stuffer.js';
import { hasEightBit, WordView } from '../../src/protocol/words.js';
import { bytes } from '../helpers/bytes.js';

/** Bytes at any alignment: a view into a larger buffer, from a random offset. */
const viewArb = fc
  .tuple(
    fc.integer({ min: 0, max: 7 }),
    fc.array(
      fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
        { weight: 1, arbitrary: fc.constantFrom(0x0d, 0x0a, 0x2e, 0x80, 0xff, 0x09, 0x08, 0x0f, 0x07, 0x10) },
      ),
      { maxLength: 200 },
    ),
  )
  .map(([offset, values]) => {
    const buffer = new Uint8Array(offset + values.length);
    buffer.set(values, offset);
    return buffer.subarray(offset);
  });

describe('word scans', () => {
  it('property: hasEightBit agrees with a byte loop at every alignment', () => {
    fc.assert(
      fc.property(viewArb, (view) => {
        expect(hasEightBit(view)).toBe(view.some((b) => b > 127));
      }),
      { numRuns: 3000 },
    );
  });

  it('property: skipPlainWords never skips a CR or LF', () => {
    fc.assert(
      fc.property(viewArb, fc.nat(), (view, from) => {
        const words = WordView.of(view);
        if (words === undefined) return;
        const start = from % (view.length + 1);
        const stop = words.skipPlainWords(start);
        expect(stop).toBeGreaterThanOrEqual(start);
        for (let i = start; i < stop; i++) expect([13, 10]).not.toContain(view[i]);
      }),
      { numRuns: 3000 },
    );
  });

  it('property: the stuffer returns a chunk unchanged exactly when it is clean CRLF text', () => {
    fc.assert(
      fc.property(viewArb, (view) => {
        if (view.length === 0) return;
        const text = Buffer.from(view).toString('latin1');
        // A CR at the very end may meet its LF in the next chunk.
        const clean = !/\r(?!\n|$)|(?<!\r)\n|(^|\n)\./.test(text);
        expect(new DotStuffer().push(view) === view).toBe(clean);
      }),
      { numRuns: 3000 },
    );
  });

  it('hasEightBit finds a high byte in the head, the words and the tail', () => {
    const text = 'a'.repeat(40);
    for (const at of [0, 1, 17, 38, 39]) {
      const b = bytes(text);
      b[at] = 0xc3;
      expect(hasEightBit(b.subarray(0))).toBe(true);
      expect(hasEightBit(b.subarray(1))).toBe(at >= 1);
    }
    expect(hasEightBit(bytes(text))).toBe(false);
  });
});
