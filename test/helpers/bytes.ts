import fc from 'fast-check';

/** Bytes of a string, one byte per character (latin1), so tests can write any octet as \xNN. */
export function bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** The inverse of {@link bytes}. */
export function latin1(data: Uint8Array): string {
  let out = '';
  for (const b of data) out += String.fromCharCode(b);
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Splits `data` at the given cut points (taken modulo its length, sorted), into fresh copies that
 * start at varying offsets of their buffers, as socket reads from a pool do.
 */
export function splitAt(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => (data.length === 0 ? 0 : c % (data.length + 1))))].sort(
    (a, b) => a - b,
  );
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, data.length]) {
    const offset = parts.length % 4;
    const backing = new Uint8Array(offset + p - from);
    backing.set(data.subarray(from, p), offset);
    parts.push(backing.subarray(offset));
    from = p;
  }
  return parts;
}

/** Cut points for {@link splitAt}. */
export const cutsArb = fc.array(fc.nat({ max: 100_000 }), { maxLength: 12 });

/** Bytes weighted heavily toward the ones that matter to SMTP framing: `.`, CR, LF and NUL. */
export const smtpBytesArb = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(0x2e, 0x0d, 0x0a, 0x00) },
      { weight: 1, arbitrary: fc.constantFrom(...bytes('\r\n.\r\n')) },
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }) },
    ),
    { maxLength: 300 },
  )
  .map((a) => Uint8Array.from(a));
