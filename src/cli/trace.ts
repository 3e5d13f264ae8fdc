/**
 * The trace headers a delivering server prepends (RFC 5321 4.4): Return-Path and Received.
 * @module
 */
import type { SessionInfo } from '../server/options.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An RFC 5322 3.3 date-time, in UTC. */
export function rfc5322Date(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[date.getUTCDay()]}, ${two(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${two(
    date.getUTCHours(),
  )}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/** RFC 3848: ESMTP, plus S for TLS and A for an authenticated client. */
function protocol(session: SessionInfo, lmtp: boolean): string {
  if (lmtp) return 'LMTP';
  if (session.helo === undefined) return 'SMTP';
  return `ESMTP${session.secure ? 'S' : ''}${session.user === undefined ? '' : 'A'}`;
}

export function traceHeaders(options: {
  session: SessionInfo;
  from: string;
  recipients: readonly string[];
  hostname: string;
  id: string;
  lmtp: boolean;
  date: Date;
}): string {
  const { session } = options;
  // The client's address and port: behind a proxy (--proxy-protocol), those its header gave.
  const address = session.remoteAddress.replace(/^::ffff:/, '');
  const literal = address.includes(':') ? `[IPv6:${address}]` : `[${address}]`;
  const forClause = options.recipients.length === 1 ? `\r\n\tfor <${options.recipients[0]}>` : '';
  return (
    `Return-Path: <${options.from}>\r\n` +
    `Received: from ${session.helo ?? 'unknown'} (${literal}:${session.remotePort})\r\n` +
    `\tby ${options.hostname} (esmtp) with ${protocol(session, options.lmtp)} id ${options.id}${forClause};\r\n` +
    `\t${rfc5322Date(options.date)}\r\n`
  );
}
