/**
 * The EHLO reply (RFC 5321 4.1.1.1): the server's name and greeting on the first line, then one
 * extension keyword with its parameters a line.
 * @module
 */
import type { Reply } from './reply.js';

/** What a server offers, read from its EHLO reply. */
export interface Capabilities {
  /** SIZE (RFC 1870): the largest message in octets, 0 for no fixed limit; undefined when not offered. */
  readonly size?: number | undefined;
  /** AUTH (RFC 4954): the SASL mechanisms offered, upper-case. Empty when not offered. */
  readonly auth: readonly string[];
  /** PIPELINING (RFC 2920): commands may be sent without waiting for each reply. */
  readonly pipelining: boolean;
  /** 8BITMIME (RFC 6152): `BODY=8BITMIME` is accepted. */
  readonly eightBitMime: boolean;
  /** SMTPUTF8 (RFC 6531): UTF-8 addresses and headers are accepted with the SMTPUTF8 parameter. */
  readonly smtpUtf8: boolean;
  /** CHUNKING (RFC 3030): the message may be sent with BDAT. */
  readonly chunking: boolean;
  /** BINARYMIME (RFC 3030): `BODY=BINARYMIME` is accepted, with BDAT. */
  readonly binaryMime: boolean;
  /** DSN (RFC 3461): RET=, ENVID=, NOTIFY= and ORCPT= are accepted. */
  readonly dsn: boolean;
  /** ENHANCEDSTATUSCODES (RFC 2034): replies carry enhanced status codes. */
  readonly enhancedStatusCodes: boolean;
  /** STARTTLS (RFC 3207): the connection can be upgraded to TLS. */
  readonly startTls: boolean;
  /** REQUIRETLS (RFC 8689): the `REQUIRETLS` MAIL parameter is accepted. */
  readonly requireTls: boolean;
  /** Every other keyword (upper-case), with its parameter text ('' when it has none). */
  readonly other: ReadonlyMap<string, string>;
}

/** The parts of an EHLO reply. */
export interface EhloReply {
  /** The server's name, the first word of the first line. */
  readonly domain: string;
  /** The rest of the first line ('' when there is none). */
  readonly greeting: string;
  /** What the server offers, from the lines after the first. */
  readonly capabilities: Capabilities;
}

const FLAGS = {
  PIPELINING: 'pipelining',
  '8BITMIME': 'eightBitMime',
  SMTPUTF8: 'smtpUtf8',
  CHUNKING: 'chunking',
  BINARYMIME: 'binaryMime',
  DSN: 'dsn',
  ENHANCEDSTATUSCODES: 'enhancedStatusCodes',
  STARTTLS: 'startTls',
  REQUIRETLS: 'requireTls',
} as const;

type Flag = (typeof FLAGS)[keyof typeof FLAGS];
type MutableCapabilities = { -readonly [K in keyof Capabilities]: Capabilities[K] } & {
  other: Map<string, string>;
};

/** The capabilities of a server that offers nothing, as after HELO. */
export function emptyCapabilities(): Capabilities {
  return {
    auth: [],
    pipelining: false,
    eightBitMime: false,
    smtpUtf8: false,
    chunking: false,
    binaryMime: false,
    dsn: false,
    enhancedStatusCodes: false,
    startTls: false,
    requireTls: false,
    other: new Map(),
  };
}

/**
 * Reads an EHLO reply. Keywords are case-insensitive; the old `AUTH=MECH ...` form that some servers
 * still send is read as AUTH. A SIZE whose value is not a number is kept in `other`.
 */
export function parseEhloReply(reply: Reply): EhloReply {
  const [first = '', ...rest] = reply.lines;
  const space = first.indexOf(' ');
  const caps = emptyCapabilities() as MutableCapabilities;
  const auth = new Set<string>();
  for (const line of rest) {
    const match = /^([A-Za-z0-9][A-Za-z0-9-]*)(?:[ =](.*))?$/s.exec(line.trim());
    if (match === null) continue;
    const keyword = (match[1] as string).toUpperCase();
    const params = (match[2] ?? '').trim();
    if (keyword in FLAGS) caps[FLAGS[keyword as keyof typeof FLAGS] as Flag] = true;
    else if (keyword === 'AUTH') {
      for (const mech of params.split(/\s+/)) if (mech !== '') auth.add(mech.toUpperCase());
    } else if (keyword === 'SIZE' && /^\d{0,20}$/.test(params))
      caps.size = Math.min(Number(params), Number.MAX_SAFE_INTEGER);
    else caps.other.set(keyword, params);
  }
  caps.auth = [...auth];
  return {
    domain: space < 0 ? first : first.slice(0, space),
    greeting: space < 0 ? '' : first.slice(space + 1),
    capabilities: caps,
  };
}

/** Builds the 250 EHLO reply for a server. Extensions come in a fixed order, then `other`. */
export function formatEhloReply(ehlo: EhloReply): Reply {
  const caps = ehlo.capabilities;
  const lines = [ehlo.greeting === '' ? ehlo.domain : `${ehlo.domain} ${ehlo.greeting}`];
  for (const [keyword, name] of Object.entries(FLAGS)) {
    if (caps[name]) lines.push(keyword);
    if (name === 'pipelining' && caps.size !== undefined)
      lines.push(caps.size > 0 ? `SIZE ${caps.size}` : 'SIZE');
    if (name === 'startTls' && caps.auth.length > 0) lines.push(`AUTH ${caps.auth.join(' ')}`);
  }
  for (const [keyword, params] of caps.other) lines.push(params === '' ? keyword : `${keyword} ${params}`);
  return { code: 250, lines };
}
