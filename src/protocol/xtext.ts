/**
 * xtext (RFC 3461 4): printable ASCII except `+` and `=`, other octets as `+XX` in upper-case hex.
 * Used by ENVID, ORCPT and AUTH=. Non-ASCII text is encoded as its UTF-8 octets.
 * @module
 */
import { decodeUtf8Strict, encodeUtf8 } from './utf8.js';

const HEX = '0123456789ABCDEF';

/** Encodes text as xtext. */
export function encodeXtext(text: string): string {
  let out = '';
  for (const byte of encodeUtf8(text)) {
    if (byte >= 33 && byte <= 126 && byte !== 43 && byte !== 61) out += String.fromCharCode(byte);
    else out += `+${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/**
 * Decodes xtext, or returns undefined when it is malformed: a character outside `!`..`~`, a bare
 * `=`, a `+` not followed by two upper-case hex digits, or octets that are not valid UTF-8.
 */
export function decodeXtext(xtext: string): string | undefined {
  if (!xtext.includes('+')) return /^[!-*,-<>-~]*$/.test(xtext) ? xtext : undefined;
  const bytes: number[] = [];
  for (let i = 0; i < xtext.length; i++) {
    const c = xtext.charCodeAt(i);
    if (c === 43) {
      const hi = HEX.indexOf(xtext[i + 1] ?? 'x');
      const lo = HEX.indexOf(xtext[i + 2] ?? 'x');
      if (hi < 0 || lo < 0) return undefined;
      bytes.push(hi * 16 + lo);
      i += 2;
    } else if (c >= 33 && c <= 126 && c !== 61) bytes.push(c);
    else return undefined;
  }
  return decodeUtf8Strict(Uint8Array.from(bytes));
}
