/**
 * SMTP replies (RFC 5321 4.2) with optional enhanced status codes (RFC 2034, RFC 3463).
 * @module
 */

/**
 * One SMTP reply: a three-digit code, an optional enhanced status code and one or more text lines.
 * Replies are values: the server encodes each one once and reuses the wire form, so build a new
 * reply rather than changing one.
 */
export interface Reply {
  /** The three-digit reply code, 200 to 599. */
  readonly code: number;
  /** The RFC 3463 enhanced status code, such as `2.1.0`, or undefined. */
  readonly enhanced?: string | undefined;
  /** The text lines, without code, separator or enhanced code. At least one (it may be empty). */
  readonly lines: readonly string[];
}

const LINE_BREAKS = /[\r\n]/g;
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})$/;

/** True when `text` is an RFC 3463 status code (`class.subject.detail`, class 2, 4 or 5). */
export function isEnhancedCode(text: string): boolean {
  return ENHANCED.test(text);
}

/** Builds a reply value. `text` may hold several lines, as an array or separated by newlines. */
export function reply(code: number, enhanced: string | undefined, text: string | readonly string[]): Reply {
  const lines = typeof text === 'string' ? text.split(/\r?\n/) : text.length > 0 ? [...text] : [''];
  return enhanced === undefined ? { code, lines } : { code, enhanced, lines };
}

/** True for 2xx and 3xx replies. */
export function isPositive(r: Reply): boolean {
  return r.code < 400;
}

/**
 * Encodes a reply for the wire: `code-text` lines and a final `code text` line, each ending in CRLF.
 * The enhanced code, when present, starts every line (RFC 2034 4). With `enhanced: false` it is
 * left out, as a server must before the client has seen ENHANCEDSTATUSCODES.
 */
export function encodeReply(r: Reply, options: { enhanced?: boolean } = {}): string {
  const prefix = options.enhanced !== false && r.enhanced !== undefined ? `${r.enhanced} ` : '';
  const last = r.lines.length - 1;
  let out = '';
  for (let i = 0; i <= last; i++) {
    // A line end inside the text would let it forge a reply of its own.
    const text = `${prefix}${r.lines[i]}`.replace(LINE_BREAKS, ' ');
    const sep = i === last ? ' ' : '-';
    // An empty last line is the bare code, except a 334: RFC 4954's continue-req is "334" SP [base64].
    const bare = i === last ? (r.code === 334 ? ' ' : '') : '-';
    out += text === '' ? `${r.code}${bare}\r\n` : `${r.code}${sep}${text}\r\n`;
  }
  return out;
}

/** The reply as one human-readable string, as used in error messages and logs. */
export function replyText(r: Reply): string {
  const prefix = r.enhanced === undefined ? '' : `${r.enhanced} `;
  return `${r.code} ${prefix}${r.lines.join(' / ')}`;
}
