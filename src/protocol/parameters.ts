/**
 * ESMTP parameters of MAIL and RCPT (RFC 5321 4.1.2 `esmtp-param`), read into typed values:
 * SIZE (RFC 1870), BODY (RFC 6152, RFC 3030), SMTPUTF8 (RFC 6531), RET, ENVID, NOTIFY and ORCPT
 * (RFC 3461), AUTH= (RFC 4954 5) and REQUIRETLS (RFC 8689).
 * @module
 */
import { findIgnoringCase } from './chars.js';
import { SmtpError } from './errors.js';
import { Replies } from './replies.js';
import { decodeXtext, encodeXtext } from './xtext.js';

/** The BODY= values: 7-bit text, 8-bit text (RFC 6152), or binary sent with BDAT (RFC 3030). */
export type BodyType = '7BIT' | '8BITMIME' | 'BINARYMIME';
/** When a DSN is asked for with NOTIFY= (RFC 3461 4.1): delivered, failed, or delayed. */
export type NotifyCondition = 'SUCCESS' | 'FAILURE' | 'DELAY';

/** The parameters of a MAIL command. Absent ones are left out. */
export interface MailParameters {
  /** SIZE=: the declared message size in octets. Larger than 2^53 - 1 reads as Infinity. */
  size?: number;
  /** BODY=: what the message holds, 7-bit or 8-bit text or binary. */
  body?: BodyType;
  /** SMTPUTF8: the envelope or headers hold UTF-8 (RFC 6531). */
  smtputf8?: true;
  /** RET=: a DSN for this message returns all of it (`FULL`) or only its headers (`HDRS`). */
  ret?: 'FULL' | 'HDRS';
  /** ENVID=, decoded from xtext. */
  envid?: string;
  /** AUTH=, decoded from xtext: the mailbox the message was submitted by, or `<>`. */
  auth?: string;
  /** REQUIRETLS: the message must travel over verified TLS only, every hop (RFC 8689). */
  requiretls?: true;
}

/** The parameters of a RCPT command. */
export interface RcptParameters {
  /** NOTIFY=: `['NEVER']` alone, or any of SUCCESS, FAILURE and DELAY. */
  notify?: readonly ('NEVER' | NotifyCondition)[];
  /** ORCPT=: the address type (such as `rfc822`) and the original recipient, decoded from xtext. */
  orcpt?: {
    /** The address type, such as `rfc822` or `utf-8`. */
    readonly type: string;
    /** The original recipient, decoded from xtext. */
    readonly address: string;
  };
}

/** One ESMTP parameter as written: the keyword upper-cased, the value raw (still xtext where it is). */
export interface Parameter {
  readonly keyword: string;
  readonly value: string | undefined;
}

/** The MAIL parameters esmtp reads, by keyword. */
export type MailKeyword = 'SIZE' | 'BODY' | 'SMTPUTF8' | 'RET' | 'ENVID' | 'AUTH' | 'REQUIRETLS';
/** The RCPT parameters esmtp reads, by keyword. */
export type RcptKeyword = 'NOTIFY' | 'ORCPT';

export const ALL_MAIL_KEYWORDS: ReadonlySet<MailKeyword> = new Set([
  'SIZE',
  'BODY',
  'SMTPUTF8',
  'RET',
  'ENVID',
  'AUTH',
  'REQUIRETLS',
]);
export const ALL_RCPT_KEYWORDS: ReadonlySet<RcptKeyword> = new Set(['NOTIFY', 'ORCPT']);

const ADDR_TYPE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;
const MAX_ENVID = 100;
const BODY_TYPES: readonly BodyType[] = ['7BIT', '8BITMIME', 'BINARYMIME'];
const RET_TYPES: readonly ('FULL' | 'HDRS')[] = ['FULL', 'HDRS'];

/**
 * Splits `keyword[=value]` parameters separated by spaces into upper-case keywords and raw values
 * (undefined when there is none). A malformed or repeated parameter gives 501 5.5.4; a keyword not
 * in `allowed` gives 555 5.5.4.
 */
export function splitParameters(text: string, allowed: ReadonlySet<string>): Parameter[] {
  const out: Parameter[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf(' ', start);
    if (end < 0) end = text.length;
    if (end > start) {
      const eq = text.indexOf('=', start);
      const keywordEnd = eq >= 0 && eq < end ? eq : end;
      const value = keywordEnd < end ? text.slice(eq + 1, end) : undefined;
      if (!isKeyword(text, start, keywordEnd) || (value !== undefined && !isValue(value))) {
        throw new SmtpError(Replies.badParameter);
      }
      // Known keywords are matched in place: no upper-cased copy to allocate and hash on every line.
      const keyword =
        findIgnoringCase(text, start, keywordEnd, KNOWN_KEYWORDS) ??
        text.slice(start, keywordEnd).toUpperCase();
      if (!allowed.has(keyword)) throw new SmtpError(Replies.unknownParameter);
      for (const seen of out) if (seen.keyword === keyword) throw new SmtpError(Replies.badParameter);
      out.push({ keyword, value });
    }
    start = end + 1;
  }
  return out;
}

const KNOWN_KEYWORDS: readonly string[] = [...ALL_MAIL_KEYWORDS, ...ALL_RCPT_KEYWORDS];

/** esmtp-keyword: (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"). */
function isKeyword(text: string, start: number, end: number): boolean {
  if (end === start || text.charCodeAt(start) === 0x2d) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d)) {
      return false;
    }
  }
  return true;
}

/** esmtp-value: 1*(%d33-60 / %d62-126), and UTF-8 under SMTPUTF8 (RFC 6531 3.3). */
function isValue(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 33 || c === 61 || c === 127) return false;
  }
  return true;
}

/** Reads MAIL parameters from the text after the path. */
export function parseMailParameters(
  text: string,
  allowed: ReadonlySet<MailKeyword> = ALL_MAIL_KEYWORDS,
): MailParameters {
  const params: MailParameters = {};
  for (const { keyword, value } of splitParameters(text, allowed)) {
    switch (keyword) {
      case 'SIZE':
        params.size = parseSize(value);
        break;
      case 'BODY':
        params.body = oneOf(keyword, value, BODY_TYPES);
        break;
      case 'RET':
        params.ret = oneOf(keyword, value, RET_TYPES);
        break;
      case 'ENVID': {
        const envid = xtextValue(keyword, value);
        if (envid.length > MAX_ENVID || /[^\x20-\x7e]/.test(envid)) throw badValue(keyword);
        params.envid = envid;
        break;
      }
      case 'AUTH':
        params.auth = xtextValue(keyword, value);
        break;
      default: // SMTPUTF8, REQUIRETLS: flags without a value
        if (value !== undefined) throw badValue(keyword);
        if (keyword === 'SMTPUTF8') params.smtputf8 = true;
        else params.requiretls = true;
    }
  }
  return params;
}

/** Reads RCPT parameters from the text after the path. */
export function parseRcptParameters(
  text: string,
  allowed: ReadonlySet<RcptKeyword> = ALL_RCPT_KEYWORDS,
): RcptParameters {
  const params: RcptParameters = {};
  for (const { keyword, value } of splitParameters(text, allowed)) {
    if (keyword === 'NOTIFY') params.notify = parseNotify(value);
    else {
      const semi = value?.indexOf(';') ?? -1;
      const type = value?.slice(0, semi) ?? '';
      if (semi <= 0 || !ADDR_TYPE.test(type)) throw badValue(keyword);
      const address = xtextValue(keyword, value?.slice(semi + 1));
      if (address === '') throw badValue(keyword);
      params.orcpt = { type, address };
    }
  }
  return params;
}

/** Formats MAIL parameters as ` KEY=value ...` (with a leading space), or '' when there are none. */
export function formatMailParameters(params: MailParameters): string {
  let out = '';
  if (params.size !== undefined) out += ` SIZE=${formatSize(params.size)}`;
  if (params.body !== undefined) out += ` BODY=${params.body}`;
  if (params.smtputf8) out += ' SMTPUTF8';
  if (params.ret !== undefined) out += ` RET=${params.ret}`;
  if (params.envid !== undefined) out += ` ENVID=${encodeXtext(checkedText('ENVID', params.envid))}`;
  if (params.auth !== undefined) out += ` AUTH=${encodeXtext(checkedText('AUTH', params.auth))}`;
  if (params.requiretls) out += ' REQUIRETLS';
  return out;
}

/** Formats RCPT parameters as ` KEY=value ...` (with a leading space), or ''. */
export function formatRcptParameters(params: RcptParameters): string {
  let out = '';
  if (params.notify !== undefined) out += ` NOTIFY=${params.notify.join(',')}`;
  if (params.orcpt !== undefined) {
    out += ` ORCPT=${params.orcpt.type};${encodeXtext(checkedText('ORCPT', params.orcpt.address))}`;
  }
  return out;
}

function parseNotify(value: string | undefined): RcptParameters['notify'] {
  const list = (value ?? '').toUpperCase().split(',');
  if (list.length === 1 && list[0] === 'NEVER') return ['NEVER'];
  const seen = new Set<NotifyCondition>();
  for (const item of list) {
    if ((item !== 'SUCCESS' && item !== 'FAILURE' && item !== 'DELAY') || seen.has(item)) {
      throw badValue('NOTIFY');
    }
    seen.add(item);
  }
  return [...seen];
}

/** SIZE= value: 1 to 20 digits (RFC 1870 6); beyond 2^53 - 1 it reads as Infinity, which is over any limit. */
function parseSize(value: string | undefined): number {
  if (value === undefined || value.length > 20) throw badValue('SIZE');
  let size = 0;
  for (let i = 0; i < value.length; i++) {
    const digit = value.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) throw badValue('SIZE');
    size = size * 10 + digit;
  }
  return Number.isSafeInteger(size) ? size : Number.POSITIVE_INFINITY;
}

function oneOf<T extends string>(keyword: string, value: string | undefined, choices: readonly T[]): T {
  const index = value === undefined ? -1 : choices.indexOf(value.toUpperCase() as T);
  if (index < 0) throw badValue(keyword);
  return choices[index] as T;
}

/** Decodes an xtext value; one that is malformed or decodes to CR, LF or NUL gives 501. */
function xtextValue(keyword: string, value: string | undefined): string {
  const decoded = value === undefined ? undefined : decodeXtext(value);
  if (decoded === undefined || /[\r\n\0]/.test(decoded)) throw badValue(keyword);
  return decoded;
}

function formatSize(size: number): string {
  if (!Number.isSafeInteger(size) || size < 0)
    throw new TypeError(`SIZE must be a non-negative integer, got ${size}`);
  return String(size);
}

function checkedText(keyword: string, text: string): string {
  // xtext keeps the line safe whatever the text; these would only be refused by the server (501).
  if (/[\r\n\0]/.test(text)) {
    throw new TypeError(`${keyword} must not contain CR, LF or NUL`);
  }
  return text;
}

function badValue(keyword: string): SmtpError {
  const r = Replies.badParameter;
  return new SmtpError(r.code, r.enhanced, `Invalid ${keyword} parameter`);
}
