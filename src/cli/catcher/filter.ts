/**
 * The search of the list and of the long poll: `q` (any of sender, recipients, subject, text),
 * `from`, `to` and `subject`, each a case-insensitive substring; `since`, a time.
 * @module
 */
import type { MessageSummary } from './parse.js';

export interface MessageFilter {
  q?: string;
  from?: string;
  to?: string;
  subject?: string;
  /** Only messages received at or after this time (milliseconds since the epoch). */
  since?: number;
}

/** A request's parameter that is wrong: answered with 400 and this message. */
export class BadRequest extends Error {
  override readonly name = 'BadRequest';
}

export function parseFilter(params: URLSearchParams): MessageFilter {
  const filter: MessageFilter = {};
  for (const key of ['q', 'from', 'to', 'subject'] as const) {
    const value = params.get(key);
    if (value !== null && value !== '') filter[key] = value.toLowerCase();
  }
  const since = params.get('since');
  if (since !== null) filter.since = parseTime(since);
  return filter;
}

/** Milliseconds since the epoch, or an ISO 8601 date-time. */
function parseTime(text: string): number {
  const time = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(time)) throw new BadRequest('since is a time: milliseconds since 1970 or ISO 8601');
  return time;
}

export function matches(summary: MessageSummary, searchText: string, filter: MessageFilter): boolean {
  const { envelope } = summary;
  const has = (texts: readonly string[], wanted: string) =>
    texts.some((t) => t.toLowerCase().includes(wanted));
  if (filter.q !== undefined && !searchText.includes(filter.q)) return false;
  if (filter.from !== undefined) {
    const senders = [envelope.from, summary.from?.address ?? '', summary.from?.name ?? ''];
    if (!has(senders, filter.from)) return false;
  }
  if (filter.to !== undefined) {
    const recipients = [
      ...envelope.to,
      ...[...summary.to, ...summary.cc].flatMap((m) => [m.address, m.name]),
    ];
    if (!has(recipients, filter.to)) return false;
  }
  if (filter.subject !== undefined && !summary.subject.toLowerCase().includes(filter.subject)) return false;
  if (filter.since !== undefined && Date.parse(envelope.receivedAt) < filter.since) return false;
  return true;
}
