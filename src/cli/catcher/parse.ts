/**
 * What the catcher shows of a message, parsed on the server with postal-mime (bundled into the
 * command, never a dependency of the library): the summary of the list and the full view.
 * @module
 */
import PostalMime, { type Address, type Email } from 'postal-mime';
import type { StoredEnvelope } from './envelope.js';

/** A mailbox as shown: the address and its display name ('' for none). */
export interface Mailbox {
  name: string;
  address: string;
}

/**
 * The most mailboxes of To and of Cc a summary keeps, and the longest text a message is searched
 * by: the index holds every message's summary, and one header may name tens of thousands.
 */
const SUMMARY_MAILBOXES = 100;
const SEARCH_TEXT = 64 * 1024;

/** One line of the list, and what the events and the long poll answer with. */
export interface MessageSummary {
  id: string;
  /** The From header's first mailbox, if any. */
  from: Mailbox | null;
  /** The first SUMMARY_MAILBOXES mailboxes of To (all of them in the full view). */
  to: Mailbox[];
  /** How many mailboxes To names. */
  toCount: number;
  /** The first SUMMARY_MAILBOXES mailboxes of Cc (all of them in the full view). */
  cc: Mailbox[];
  /** How many mailboxes Cc names. */
  ccCount: number;
  /** The envelope recipients that To and Cc do not name: the Bcc recipients. */
  bcc: string[];
  subject: string;
  /** The Date header, as the sender wrote it (ISO 8601 when it parses). */
  date: string | null;
  envelope: StoredEnvelope;
  /** False for a message delivered without an envelope (by an older version): it was read from the headers. */
  envelopeStored: boolean;
  attachments: number;
  /** The first characters of the text. */
  snippet: string;
}

/** An attachment's metadata; its content is at /api/messages/:id/attachments/:index. */
export interface AttachmentInfo {
  index: number;
  filename: string;
  contentType: string;
  size: number;
  disposition: string | null;
  contentId: string | null;
}

/** The full view of GET /api/messages/:id. */
export interface MessageDetail extends MessageSummary {
  headers: { name: string; value: string }[];
  text: string | null;
  html: string | null;
  attachmentList: AttachmentInfo[];
}

/** A parsed message: its summary, the words it is searched by, and the parse itself. */
export interface Parsed {
  summary: MessageSummary;
  searchText: string;
  email: Email;
}

export async function parseMessage(
  id: string,
  raw: Uint8Array,
  envelope: StoredEnvelope | undefined,
  fallbackDate: Date,
): Promise<Parsed> {
  let email: Email;
  try {
    email = await PostalMime.parse(raw);
  } catch {
    // Not MIME the parser can read: shown with what the envelope says.
    email = { headers: [], headerLines: [], attachments: [], text: new TextDecoder().decode(raw) };
  }
  const allTo = mailboxes(email.to);
  const allCc = mailboxes(email.cc);
  const to = allTo.slice(0, SUMMARY_MAILBOXES);
  const cc = allCc.slice(0, SUMMARY_MAILBOXES);
  const stored = envelope ?? envelopeFromHeaders(email, to, cc, raw.length, fallbackDate);
  const named = new Set([...allTo, ...allCc].map((m) => m.address.toLowerCase()));
  const from = mailboxes(email.from === undefined ? [] : [email.from])[0] ?? null;
  const text = email.text ?? '';
  const summary: MessageSummary = {
    id,
    from,
    to,
    toCount: allTo.length,
    cc,
    ccCount: allCc.length,
    bcc: stored.to.filter((r) => !named.has(r.toLowerCase())),
    subject: email.subject ?? '',
    date: email.date ?? null,
    envelope: stored,
    envelopeStored: envelope !== undefined,
    attachments: email.attachments.length,
    snippet: text.replace(/\s+/g, ' ').trim().slice(0, 160),
  };
  const searchText = [
    stored.from,
    ...stored.to,
    from?.name ?? '',
    ...[...to, ...cc].map((m) => `${m.name} ${m.address}`),
    summary.subject,
    text.slice(0, SEARCH_TEXT),
  ]
    .join('\n')
    .slice(0, SEARCH_TEXT)
    .toLowerCase();
  return { summary, searchText, email };
}

export function detail(parsed: Parsed): MessageDetail {
  const { email } = parsed;
  return {
    ...parsed.summary,
    to: mailboxes(email.to),
    cc: mailboxes(email.cc),
    headers: email.headers.map((h) => ({ name: h.originalKey, value: h.value })),
    text: email.text ?? null,
    html: email.html ?? null,
    attachmentList: email.attachments.map((a, index) => ({
      index,
      filename: a.filename ?? `attachment-${index + 1}`,
      contentType: a.mimeType,
      size: contentBytes(a.content).length,
      disposition: a.disposition,
      contentId: a.contentId ?? null,
    })),
  };
}

/** An attachment's content as bytes (postal-mime gives an ArrayBuffer by default). */
export function contentBytes(content: ArrayBuffer | Uint8Array | string): Uint8Array {
  if (typeof content === 'string') return new TextEncoder().encode(content);
  return content instanceof Uint8Array ? content : new Uint8Array(content);
}

/** Groups flattened: every mailbox a header names. */
function mailboxes(addresses: Address[] | undefined): Mailbox[] {
  return (addresses ?? []).flatMap((a) =>
    a.group === undefined ? [{ name: a.name, address: a.address }] : a.group.map((m) => ({ ...m })),
  );
}

/**
 * For a message without a stored envelope: what its headers say (Return-Path, and the mailboxes
 * of To and Cc the summary keeps).
 */
function envelopeFromHeaders(
  email: Email,
  to: Mailbox[],
  cc: Mailbox[],
  size: number,
  date: Date,
): StoredEnvelope {
  const returnPath = email.returnPath?.replace(/^<|>$/g, '');
  const from = email.from?.address;
  return {
    from: returnPath ?? from ?? '',
    to: [...to, ...cc].map((m) => m.address),
    client: '',
    helo: null,
    user: null,
    secure: false,
    receivedAt: date.toISOString(),
    size,
  };
}
