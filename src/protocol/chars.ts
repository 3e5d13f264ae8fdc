/**
 * Character classes of RFC 5321 and RFC 5322, tested by char code without regular expressions:
 * the command parser runs them on every MAIL and RCPT line.
 * @module
 */
import { utf8Length } from './utf8.js';

const ATEXT_ASCII = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~") {
  ATEXT_ASCII[c.charCodeAt(0)] = 1;
}

/** RFC 5322 atext, plus every non-ASCII character (RFC 6531 3.3). */
export function isAtextCode(c: number): boolean {
  return c >= 0x80 || ATEXT_ASCII[c] === 1;
}

/** An ASCII letter or digit, or `_` (accepted in labels as many real hosts use it). */
function isLetDig(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f;
}

/**
 * What a scan found: not valid, valid and ASCII, or valid with non-ASCII characters. One pass
 * answers both questions, as the parser asks them of every address.
 */
export enum Scan {
  Invalid = 0,
  Ascii = 1,
  NonAscii = 2,
}

/** RFC 5321 Dot-string: atoms of atext joined by single dots. */
export function scanDotString(text: string): Scan {
  if (text.length === 0) return Scan.Invalid;
  let atomStart = true;
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (atomStart) return Scan.Invalid;
      atomStart = true;
    } else if (c < 0x80) {
      if (ATEXT_ASCII[c] !== 1) return Scan.Invalid;
      atomStart = false;
    } else {
      ascii = false;
      atomStart = false;
    }
  }
  if (atomStart) return Scan.Invalid;
  return ascii ? Scan.Ascii : Scan.NonAscii;
}

export function isDotString(text: string): boolean {
  return scanDotString(text) !== Scan.Invalid;
}

/**
 * RFC 5321 Domain: labels of letters and digits with inner hyphens, each at most `maxLabel`
 * octets, the whole at most `maxOctets`.
 */
export function scanDomainName(text: string, maxOctets: number, maxLabel: number): Scan {
  const len = text.length;
  if (len === 0 || len > maxOctets) return Scan.Invalid;
  let labelStart = 0;
  let ascii = true;
  for (let i = 0; i <= len; i++) {
    const c = i === len ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e) {
      const label = i - labelStart;
      if (label === 0 || text.charCodeAt(i - 1) === 0x2d) return Scan.Invalid;
      if (label > maxLabel || (!ascii && utf8Length(text.slice(labelStart, i)) > maxLabel))
        return Scan.Invalid;
      labelStart = i + 1;
    } else if (c >= 0x80) ascii = false;
    else if (!(isLetDig(c) || (c === 0x2d && i > labelStart))) return Scan.Invalid;
  }
  if (ascii) return Scan.Ascii;
  return utf8Length(text) <= maxOctets ? Scan.NonAscii : Scan.Invalid;
}

/** True when any character is outside ASCII. */
export function hasNonAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return true;
  return false;
}

/** True when `text` takes more than `max` octets in UTF-8, counting only where it must. */
export function exceedsOctets(text: string, max: number): boolean {
  if (text.length > max) return true;
  if (text.length * 3 <= max) return false;
  return utf8Length(text) > max;
}

/**
 * True when `text` holds `word` at `start`, ASCII letters compared case-insensitively; `word` is
 * written in upper case. Compares in place, without the copy that toUpperCase() makes.
 */
export function matchesIgnoringCase(text: string, start: number, word: string): boolean {
  if (text.length - start < word.length) return false;
  for (let i = 0; i < word.length; i++) {
    const c = text.charCodeAt(start + i);
    if ((c >= 0x61 && c <= 0x7a ? c - 0x20 : c) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** The word of `words` that `text` holds exactly from `start` to `end`, ignoring case, or undefined. */
export function findIgnoringCase<T extends string>(
  text: string,
  start: number,
  end: number,
  words: readonly T[],
): T | undefined {
  for (const word of words) {
    if (word.length === end - start && matchesIgnoringCase(text, start, word)) return word;
  }
  return undefined;
}
