/**
 * Mailboxes, paths and domains as RFC 5321 4.1.2 and 4.1.3 define them, with the SMTPUTF8
 * extension of RFC 6531 3.3.
 * @module
 */

import {
  exceedsOctets,
  hasNonAscii,
  isAtextCode,
  isDotString,
  Scan,
  scanDomainName,
  scanDotString,
} from './chars.js';
import { EsmtpError, SmtpError } from './errors.js';
import { Replies } from './replies.js';
import type { Reply } from './reply.js';

/** A mailbox from a path. `<>` is represented by `null` where a path may be null. */
export interface Address {
  /** The local part as the user means it: quotes and backslash escapes removed. */
  readonly localPart: string;
  /** The domain or address literal (`[192.0.2.1]`, `[IPv6:...]`) as written; '' for the bare `<Postmaster>`. */
  readonly domain: string;
  /** The canonical mailbox: the local part quoted only where it must be, then `@domain`. */
  readonly address: string;
  /** The address contains non-ASCII characters, which needs SMTPUTF8. */
  readonly utf8: boolean;
}

/** How {@link parsePath} and {@link parseMailbox} read an address. */
export interface PathOptions {
  /** Accept non-ASCII characters (SMTPUTF8 in effect). Default true; false refuses them with 553 5.6.7. */
  allowUtf8?: boolean;
  /** The reply for a syntax error. Default 501 5.1.3 (bad destination address). */
  syntaxError?: Reply;
}

const MAX_LOCAL_PART = 64;
const MAX_DOMAIN = 255;
const MAX_PATH = 256;
const MAX_LABEL = 63;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX16 = /^[0-9A-Fa-f]{1,4}$/;

/**
 * Parses a path (`<mailbox>`, with an optional source route that is dropped) or the null path
 * `<>`. `reverse` paths may be null; forward paths may also be `<Postmaster>`.
 * Throws an {@link SmtpError} with the reply a server should send.
 */
export function parsePath(
  text: string,
  kind: 'reverse' | 'forward',
  options: PathOptions = {},
): Address | null {
  const bad =
    options.syntaxError ?? (kind === 'reverse' ? Replies.badSenderSyntax : Replies.badRecipientSyntax);
  if (text.length < 2 || text[0] !== '<' || text[text.length - 1] !== '>') throw new SmtpError(bad);
  if (exceedsOctets(text, MAX_PATH)) throw new SmtpError(bad.code, bad.enhanced, 'Path too long');
  let inner = text.slice(1, -1);
  if (inner === '') {
    if (kind === 'reverse') return null;
    throw new SmtpError(bad);
  }
  if (inner[0] === '@') inner = dropSourceRoute(inner, bad);
  if (kind === 'forward' && inner.length === 10 && inner.toLowerCase() === 'postmaster') {
    return { localPart: inner, domain: '', address: inner, utf8: false };
  }
  return readMailbox(inner, bad, options.allowUtf8 !== false);
}

/** Parses `local-part@domain` (no angle brackets). Throws an {@link SmtpError}. */
export function parseMailbox(text: string, options: PathOptions = {}): Address {
  return readMailbox(text, options.syntaxError ?? Replies.badRecipientSyntax, options.allowUtf8 !== false);
}

function readMailbox(text: string, bad: Reply, allowUtf8: boolean): Address {
  // Only a quoted local part can hold '@'; otherwise the first one ends it.
  const quoted = text.charCodeAt(0) === 0x22;
  const at = quoted ? text.lastIndexOf('@') : text.indexOf('@');
  if (at <= 0) throw new SmtpError(bad);
  const rawLocal = text.slice(0, at);
  const domain = text.slice(at + 1);
  const localPart = quoted ? unquote(rawLocal, bad) : rawLocal;
  const localScan = quoted ? (hasNonAscii(localPart) ? Scan.NonAscii : Scan.Ascii) : scanDotString(localPart);
  if (localScan === Scan.Invalid) throw new SmtpError(bad);
  if (exceedsOctets(localPart, MAX_LOCAL_PART)) {
    throw new SmtpError(bad.code, bad.enhanced, 'Local part too long');
  }
  const domainScan =
    domain.charCodeAt(0) === 0x5b ? literalScan(domain) : scanDomainName(domain, MAX_DOMAIN, MAX_LABEL);
  if (domainScan === Scan.Invalid) throw new SmtpError(bad);
  const utf8 = localScan === Scan.NonAscii || domainScan === Scan.NonAscii;
  if (utf8 && !allowUtf8) throw new SmtpError(Replies.utf8NotAllowed);
  // An unquoted local part is already canonical; a quoted one is quoted again only if it must be.
  const address = quoted ? `${quoteLocalPart(localPart)}@${domain}` : text;
  return { localPart, domain, address, utf8 };
}

/** True for a domain name (RFC 5321 Domain, with U-labels) or a valid address literal. */
export function isDomainOrLiteral(text: string): boolean {
  return text.startsWith('[') ? isAddressLiteral(text) : isDomain(text);
}

/** True for an RFC 5321 Domain: dot-separated labels of letters, digits and inner hyphens (and `_`, U-labels). */
export function isDomain(text: string): boolean {
  return scanDomainName(text, MAX_DOMAIN, MAX_LABEL) !== Scan.Invalid;
}

function literalScan(text: string): Scan {
  return isAddressLiteral(text) ? Scan.Ascii : Scan.Invalid;
}

/** True for `[IPv4]` or `[IPv6:...]` with a valid address inside. */
export function isAddressLiteral(text: string): boolean {
  if (text.length < 3 || text[0] !== '[' || text[text.length - 1] !== ']') return false;
  const inner = text.slice(1, -1);
  if (/^ipv6:/i.test(inner)) return isIPv6(inner.slice(5));
  return isIPv4(inner);
}

export function isIPv4(text: string): boolean {
  const m = IPV4.exec(text);
  return m?.slice(1).every((part) => Number(part) <= 255) ?? false;
}

/**
 * An IPv6 address in text form: eight groups, or `::` standing for omitted zero groups, with an
 * optional IPv4 tail. RFC 5321 4.1.3 lets `::` stand for two groups at least; RFC 4291 2.2 for
 * one, and some formatters write it so. Both are accepted.
 */
export function isIPv6(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (half: string | undefined) => (half === undefined || half === '' ? [] : half.split(':'));
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const all = [...head, ...tail];
  let count = all.length;
  const last = all[all.length - 1];
  if (last?.includes('.')) {
    if (!isIPv4(last)) return false;
    all.pop();
    count += 1; // an IPv4 tail stands for two groups
  }
  if (!all.every((g) => HEX16.test(g))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** Quotes a local part when it is not a dot-string (RFC 5321 4.1.2), escaping `"` and `\`. */
export function quoteLocalPart(localPart: string): string {
  if (isDotString(localPart)) return localPart;
  return `"${localPart.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Formats an address as a path for MAIL or RCPT: `<mailbox>`, or `<>` for null or ''. A string may
 * come with or without its angle brackets. Throws an {@link EsmtpError} `EENVELOPE` for an invalid
 * mailbox and for anything that could break the command line: CR, LF, NUL, `<`, `>`, and code
 * points that a latin1 writer would narrow to CR, LF or NUL (such as U+010D).
 */
export function formatPath(address: Address | string | null): string {
  if (address === null || address === '' || address === '<>') return '<>';
  const text = typeof address === 'string' ? address.replace(/^<(.*)>$/s, '$1') : address.address;
  const unsafe = unsafeCharacter(text);
  if (unsafe !== undefined) throw new EsmtpError('EENVELOPE', `invalid address: it contains ${unsafe}`);
  if (typeof address === 'string' || address.domain !== '') {
    try {
      parseMailbox(text);
    } catch (error) {
      throw new EsmtpError('EENVELOPE', `invalid address: ${JSON.stringify(text)}`, { cause: error });
    }
  }
  return `<${text}>`;
}

/**
 * Describes the first character in `text` that must never reach a command line, or undefined:
 * CR, LF, NUL, `<`, `>`, and any code point that a latin1 (one byte per character) writer would
 * narrow to CR, LF or NUL (such as U+010D, whose low byte is CR).
 */
export function unsafeCharacter(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3c || c === 0x3e) return `'${text[i]}'`;
    const low = c & 0xff;
    if (low === 0x0d || low === 0x0a || low === 0x00) {
      return c > 0xff
        ? `U+${c.toString(16).toUpperCase().padStart(4, '0')}, which narrows to a control character`
        : 'CR, LF or NUL';
    }
  }
  return undefined;
}

function dropSourceRoute(inner: string, bad: Reply): string {
  const colon = inner.indexOf(':');
  if (colon < 0) throw new SmtpError(bad);
  for (const hop of inner.slice(0, colon).split(',')) {
    if (hop[0] !== '@' || !isDomain(hop.slice(1))) throw new SmtpError(bad);
  }
  return inner.slice(colon + 1);
}

/** The content of a quoted local part (RFC 5321 Quoted-string), escapes removed. */
function unquote(raw: string, bad: Reply): string {
  if (raw.length < 2 || raw[raw.length - 1] !== '"') throw new SmtpError(bad);
  let out = '';
  for (let i = 1; i < raw.length - 1; i++) {
    let c = raw.charCodeAt(i);
    if (c === 0x5c) {
      i++;
      if (i >= raw.length - 1) throw new SmtpError(bad);
      c = raw.charCodeAt(i);
      if (c < 32 || c > 126) throw new SmtpError(bad); // quoted-pairSMTP: %d92 %d32-126
    } else if (c === 0x22 || c < 32 || c === 127) {
      throw new SmtpError(bad); // qtextSMTP excludes `"` and `\` and control characters
    }
    out += raw[i];
  }
  return out;
}

/** Whether one character may stand in a dot-atom (exported for the grammar tests). */
export function isAtext(char: string): boolean {
  return char.length === 1 && isAtextCode(char.charCodeAt(0));
}
