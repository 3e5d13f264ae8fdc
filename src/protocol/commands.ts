/**
 * SMTP commands (RFC 5321 4.1.1, with LHLO from RFC 2033, BDAT from RFC 3030, STARTTLS from
 * RFC 3207 and AUTH from RFC 4954): parsed from a line into a typed value, and formatted back.
 * @module
 */
import { type Address, formatPath, isDomainOrLiteral, parsePath, unsafeCharacter } from './address.js';
import { findIgnoringCase, matchesIgnoringCase } from './chars.js';
import { SmtpError } from './errors.js';
import {
  ALL_MAIL_KEYWORDS,
  ALL_RCPT_KEYWORDS,
  formatMailParameters,
  formatRcptParameters,
  type MailKeyword,
  type MailParameters,
  parseMailParameters,
  parseRcptParameters,
  type RcptKeyword,
  type RcptParameters,
} from './parameters.js';
import { Replies } from './replies.js';
import { decodeUtf8Strict } from './utf8.js';

/**
 * A command line, parsed: one shape per verb, told apart by `verb`. Paths and parameters are
 * decoded and checked; `formatCommand` writes one back.
 */
export type Command =
  | {
      /** EHLO (ESMTP), HELO (plain SMTP) or LHLO (LMTP, RFC 2033). */
      readonly verb: 'EHLO' | 'HELO' | 'LHLO';
      /** The name the client gives itself: a domain or an address literal such as `[192.0.2.1]`. */
      readonly domain: string;
    }
  | {
      /** MAIL FROM: starts a transaction. */
      readonly verb: 'MAIL';
      /** The reverse-path: the sender, or null for the null path `<>` (bounces). */
      readonly from: Address | null;
      /** The ESMTP parameters after the path (SIZE=, BODY=, ...). */
      readonly params: MailParameters;
    }
  | {
      /** RCPT TO: adds a recipient. */
      readonly verb: 'RCPT';
      /** The forward-path: the recipient. `<Postmaster>` has an empty domain. */
      readonly to: Address;
      /** The ESMTP parameters after the path (NOTIFY=, ORCPT=). */
      readonly params: RcptParameters;
    }
  | {
      /** A command that takes no argument. */
      readonly verb: 'DATA' | 'RSET' | 'QUIT' | 'STARTTLS';
    }
  | {
      /** A command whose argument may be left out. */
      readonly verb: 'NOOP' | 'HELP';
      /** The text after the verb, when there is any; servers ignore it. */
      readonly argument?: string;
    }
  | {
      /** A question about a mailbox (VRFY) or a mailing list (EXPN). */
      readonly verb: 'VRFY' | 'EXPN';
      /** The text after the verb: the user name, mailbox or list asked about. */
      readonly argument: string;
    }
  | {
      /** BDAT (RFC 3030): a chunk of the message follows, counted, not dot-stuffed. */
      readonly verb: 'BDAT';
      /** The chunk's length in octets. */
      readonly size: number;
      /** `LAST` was given: this chunk ends the message. */
      readonly last: boolean;
    }
  | {
      /** AUTH (RFC 4954): starts a SASL exchange. */
      readonly verb: 'AUTH';
      /** The SASL mechanism, upper-cased, such as `PLAIN`. */
      readonly mechanism: string;
      /** The initial response, still base64 (`=` for an empty one), when the client sent one. */
      readonly initialResponse?: string;
    }
  /** A verb this parser does not know; the server answers 500 5.5.1. */
  | {
      /** Marks a command this parser does not know. */
      readonly verb: 'UNKNOWN';
      /** The verb as sent, upper-cased. */
      readonly name: string;
      /** The rest of the line after the verb and a space ('' when there is none). */
      readonly argument: string;
    };

/** The verbs `parseCommand` tells apart (`UNKNOWN` for any other). */
export type Verb = Command['verb'];

/** Which ESMTP parameters a command may carry: a server narrows them to what it offers. */
export interface ParseCommandOptions {
  /** MAIL parameters to accept; others give 555. Default: all that esmtp knows. Empty after HELO. */
  mailParameters?: ReadonlySet<MailKeyword>;
  /** RCPT parameters to accept; others give 555. */
  rcptParameters?: ReadonlySet<RcptKeyword>;
}

const VERBS = [
  'MAIL',
  'RCPT',
  'DATA',
  'BDAT',
  'RSET',
  'NOOP',
  'QUIT',
  'EHLO',
  'HELO',
  'LHLO',
  'VRFY',
  'EXPN',
  'HELP',
  'AUTH',
  'STARTTLS',
] as const;
/**
 * The known verb a command line begins with, compared octet by octet and case-insensitively as
 * `parseCommand` compares verbs, whatever follows it: a line can fail to parse for not being UTF-8
 * at all, and a BDAT whose separator or size is mangled is still a BDAT whose octets may follow.
 */
export function verbAtStart(bytes: Uint8Array): Verb | undefined {
  return VERBS.find((verb) => startsWithIgnoringCase(bytes, verb));
}

function startsWithIgnoringCase(bytes: Uint8Array, word: string): boolean {
  if (bytes.length < word.length) return false;
  for (let i = 0; i < word.length; i++) {
    const b = bytes[i] as number;
    if ((b >= 0x61 && b <= 0x7a ? b - 0x20 : b) !== word.charCodeAt(i)) return false;
  }
  return true;
}

const MECHANISM = /^[A-Z0-9_-]{1,20}$/;
const BASE64_OR_EQUALS = /^(?:[A-Za-z0-9+/]+={0,2}|=)$/;

/**
 * Parses one command line (without its CRLF). Verbs and `FROM:`/`TO:` are case-insensitive.
 * Throws an {@link SmtpError} with the reply a server should send: 500 5.5.2 for a malformed line,
 * 501 for bad arguments (`MAIL` without `FROM:` among them), 555 for unknown parameters, 553 5.6.7 for a non-ASCII sender without SMTPUTF8.
 * A verb it does not know is not an error: it parses as `UNKNOWN`.
 */
export function parseCommand(line: string, options: ParseCommandOptions = {}): Command {
  const space = line.indexOf(' ');
  const end = space < 0 ? line.length : space;
  const name = findIgnoringCase(line, 0, end, VERBS) ?? line.slice(0, end).toUpperCase();
  // MAIL and RCPT, the hot path, read the line in place; the others take their argument as a copy.
  if (name === 'MAIL') return parseMail(line, end + 1, options.mailParameters ?? ALL_MAIL_KEYWORDS);
  if (name === 'RCPT') return parseRcpt(line, end + 1, options.rcptParameters ?? ALL_RCPT_KEYWORDS);
  const argument = space < 0 ? '' : line.slice(space + 1);
  switch (name) {
    case 'EHLO':
    case 'HELO':
    case 'LHLO': {
      const domain = argument.trimEnd();
      if (domain === '') throw new SmtpError(Replies.argumentRequired);
      if (!isDomainOrLiteral(domain)) throw new SmtpError(Replies.invalidDomain);
      return { verb: name, domain };
    }
    case 'DATA':
    case 'RSET':
    case 'QUIT':
    case 'STARTTLS':
      // Trailing spaces are not an argument; anything else is (RFC 5321 4.1.1: 501).
      if (argument.trimEnd() !== '') throw new SmtpError(Replies.noArguments);
      return { verb: name };
    case 'NOOP':
    case 'HELP':
      return argument === '' ? { verb: name } : { verb: name, argument };
    case 'VRFY':
    case 'EXPN':
      if (argument.trim() === '') throw new SmtpError(Replies.argumentRequired);
      return { verb: name, argument };
    case 'BDAT':
      return parseBdat(argument);
    case 'AUTH':
      return parseAuth(argument);
    default:
      if (!/^[A-Z][A-Z0-9-]*$/.test(name)) throw new SmtpError(Replies.syntaxError);
      return { verb: 'UNKNOWN', name, argument };
  }
}

/**
 * Parses a command line given as bytes. Lines that are not valid UTF-8 give 500 5.5.2. A NUL
 * anywhere in a command line is refused the same way: no command has a use for it.
 */
export function parseCommandLine(bytes: Uint8Array, options: ParseCommandOptions = {}): Command {
  const line = decodeUtf8Strict(bytes);
  if (line === undefined || line.indexOf('\0') >= 0) throw new SmtpError(Replies.syntaxError);
  return parseCommand(line, options);
}

/**
 * Formats a command as a line, without the CRLF. Refuses (TypeError, or EsmtpError `EENVELOPE` for
 * addresses) anything that would not parse back to the same command or could break the line.
 */
export function formatCommand(command: Command): string {
  switch (command.verb) {
    case 'EHLO':
    case 'HELO':
    case 'LHLO':
      if (!isDomainOrLiteral(command.domain))
        throw new TypeError(`invalid ${command.verb} domain: ${command.domain}`);
      return `${command.verb} ${command.domain}`;
    case 'MAIL':
      return `MAIL FROM:${formatPath(command.from)}${formatMailParameters(command.params)}`;
    case 'RCPT':
      return `RCPT TO:${formatPath(command.to)}${formatRcptParameters(command.params)}`;
    case 'BDAT':
      if (!Number.isSafeInteger(command.size) || command.size < 0)
        throw new TypeError('BDAT size must be a non-negative integer');
      return `BDAT ${command.size}${command.last ? ' LAST' : ''}`;
    case 'AUTH': {
      const mechanism = command.mechanism.toUpperCase();
      if (!MECHANISM.test(mechanism))
        throw new TypeError(`invalid SASL mechanism name: ${command.mechanism}`);
      const response = command.initialResponse;
      if (response === undefined) return `AUTH ${mechanism}`;
      if (response !== '=' && !BASE64_OR_EQUALS.test(response))
        throw new TypeError('initial response must be base64');
      return `AUTH ${mechanism} ${response}`;
    }
    case 'UNKNOWN':
      return withArgument(command.name, command.argument);
    default:
      return 'argument' in command ? withArgument(command.verb, command.argument) : command.verb;
  }
}

function withArgument(verb: string, argument: string | undefined): string {
  if (argument === undefined || argument === '') return verb;
  const unsafe = unsafeCharacter(argument.replace(/[<>]/g, ''));
  if (unsafe !== undefined) throw new TypeError(`${verb} argument must not contain ${unsafe}`);
  return `${verb} ${argument}`;
}

function parseMail(line: string, start: number, allowed: ReadonlySet<MailKeyword>): Command {
  const bad = Replies.badSenderSyntax;
  const [pathText, rest] = splitPath(line, start, 'FROM:', Replies.mailSyntax, bad);
  const from = parsePath(pathText, 'reverse', { syntaxError: bad });
  const params = parseMailParameters(rest, allowed);
  if (from?.utf8 && !params.smtputf8) throw new SmtpError(Replies.utf8NotAllowed);
  return { verb: 'MAIL', from, params };
}

function parseRcpt(line: string, start: number, allowed: ReadonlySet<RcptKeyword>): Command {
  const bad = Replies.badRecipientSyntax;
  const [pathText, rest] = splitPath(line, start, 'TO:', Replies.rcptSyntax, bad);
  const to = parsePath(pathText, 'forward', { syntaxError: bad }) as Address;
  const params = parseRcptParameters(rest, allowed);
  return { verb: 'RCPT', to, params };
}

/**
 * Splits `FROM:<path> params`, found in `line` from `from` on, into the path (with brackets) and the
 * parameter text. A space after the colon is tolerated, as many clients send one; a path without
 * brackets is not. Without the prefix the verb is known but its argument is wrong: `noPrefix` (501).
 */
function splitPath(
  line: string,
  from: number,
  prefix: string,
  noPrefix: SmtpError['reply'],
  bad: SmtpError['reply'],
): [string, string] {
  if (from > line.length || !matchesIgnoringCase(line, from, prefix)) throw new SmtpError(noPrefix);
  const argument = line;
  let start = from + prefix.length;
  while (argument[start] === ' ') start++;
  if (argument[start] !== '<') throw new SmtpError(bad);
  const close = argument.indexOf('>', start);
  if (close < 0) throw new SmtpError(bad);
  // Without a quote before it, that first '>' closes the path; with one, it may be quoted.
  // (indexOf, not lastIndexOf: V8 runs lastIndexOf as a slow generic loop.)
  const quote = argument.indexOf('"', start);
  if (quote < 0 || quote > close) return pathAndRest(argument, start, close, bad);
  let quoted = false;
  for (let i = start + 1; i < argument.length; i++) {
    const c = argument[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === '>' && !quoted) return pathAndRest(argument, start, i, bad);
  }
  throw new SmtpError(bad);
}

function pathAndRest(
  argument: string,
  start: number,
  close: number,
  bad: SmtpError['reply'],
): [string, string] {
  const rest = argument.slice(close + 1);
  if (rest !== '' && rest[0] !== ' ') throw new SmtpError(bad);
  return [argument.slice(start, close + 1), rest];
}

function parseBdat(argument: string): Command {
  const m = /^(\d{1,15})(?: +(LAST))? *$/i.exec(argument);
  if (m === null) throw new SmtpError(Replies.badParameter);
  return { verb: 'BDAT', size: Number(m[1]), last: m[2] !== undefined };
}

function parseAuth(argument: string): Command {
  const [mech = '', response, ...extra] = argument.trimEnd().split(' ');
  const mechanism = mech.toUpperCase();
  if (!MECHANISM.test(mechanism) || extra.length > 0) throw new SmtpError(Replies.argumentRequired);
  if (response === undefined) return { verb: 'AUTH', mechanism };
  return { verb: 'AUTH', mechanism, initialResponse: response };
}
