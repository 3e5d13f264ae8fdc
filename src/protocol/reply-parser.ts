/**
 * Reads SMTP replies from a byte stream, for the client side (RFC 5321 4.2, RFC 2034).
 * @module
 */
import { EsmtpError } from './errors.js';
import { LineReader } from './line-reader.js';
import type { Reply } from './reply.js';

/** The bounds of a {@link ReplyParser}: a reply beyond them is `EPROTOCOL`. */
export interface ReplyParserOptions {
  /** Longest reply line, in octets including the line end. Default 4096. */
  maxLineLength?: number;
  /** Most lines in one multi-line reply. Default 256. */
  maxLines?: number;
}

const REPLY_LINE = /^([2-5][0-9][0-9])(?:([ -])(.*))?$/s;
const ENHANCED_PREFIX = /^([245]\.\d{1,3}\.\d{1,3})(?: |$)/;
const decoder = new TextDecoder('utf-8');

/**
 * Streaming reply parser: `push()` bytes as they arrive, then `next()` until it returns undefined.
 * Lines may end in CRLF or, leniently, a bare LF. A malformed line, a code that changes inside one
 * reply, or a reply over the line or length bounds throws an {@link EsmtpError} with code `EPROTOCOL`.
 */
export class ReplyParser {
  private readonly lines: LineReader;
  private readonly maxLines: number;
  private pending: string[] = [];
  private pendingCode = '';

  constructor(options: ReplyParserOptions = {}) {
    this.lines = new LineReader({ maxLength: options.maxLineLength ?? 4096, lfEndsLine: true });
    this.maxLines = options.maxLines ?? 256;
  }

  /** Takes the next bytes from the server, in any chunking; read the replies with `next()`. */
  push(chunk: Uint8Array): void {
    this.lines.push(chunk);
  }

  /** The next complete reply, or undefined when more input is needed. */
  next(): Reply | undefined {
    for (;;) {
      const event = this.lines.next();
      if (event === undefined) return undefined;
      if (event.type === 'too-long') throw this.fail('reply line too long');
      const text = decoder.decode(event.bytes);
      const match = REPLY_LINE.exec(text);
      if (match === null) throw this.fail(`malformed reply line: ${JSON.stringify(text.slice(0, 80))}`);
      const code = match[1] as string;
      if (this.pending.length > 0 && code !== this.pendingCode) {
        throw this.fail(`reply code changed from ${this.pendingCode} to ${code} inside one reply`);
      }
      if (this.pending.length >= this.maxLines) throw this.fail('too many lines in one reply');
      this.pendingCode = code;
      this.pending.push(match[3] ?? '');
      if (match[2] === '-') continue;
      const lines = this.pending;
      this.pending = [];
      return withEnhancedCode(Number(code), lines);
    }
  }

  /** Bytes received after the last complete line, handed back and dropped (for STARTTLS). */
  takeRest(): Uint8Array {
    this.pending = [];
    return this.lines.takeRest();
  }

  private fail(message: string): EsmtpError {
    this.pending = [];
    return new EsmtpError('EPROTOCOL', message);
  }
}

/** Reads the RFC 3463 code that starts the first line (of the reply's own class) off every line that has it. */
function withEnhancedCode(code: number, lines: string[]): Reply {
  const first = ENHANCED_PREFIX.exec(lines[0] as string);
  const enhanced = first?.[1];
  if (enhanced === undefined || enhanced.charCodeAt(0) !== 48 + Math.floor(code / 100))
    return { code, lines };
  const stripped = lines.map((line) =>
    line.startsWith(enhanced) && (line.length === enhanced.length || line[enhanced.length] === ' ')
      ? line.slice(enhanced.length + 1)
      : line,
  );
  return { code, enhanced, lines: stripped };
}
