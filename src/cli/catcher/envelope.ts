/**
 * The envelope of each delivered message (MAIL FROM, every RCPT TO, the client), kept as a JSON file
 * in DIR/envelopes/, a folder of the Maildir that mail readers ignore. It is written and flushed
 * before the message is renamed into new/, so that a message never exists without its envelope,
 * and a restart keeps what only the envelope knows: the Bcc recipients.
 * @module
 */
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { SessionInfo } from '../../server/options.js';
import type { Envelope } from '../../session/server-events.js';
import { deliverToMaildir } from '../maildir.js';

/** What the catcher knows of a message beyond its file. */
export interface StoredEnvelope {
  /** MAIL FROM, '' for the null path. */
  from: string;
  /** Every RCPT TO, in order. */
  to: string[];
  /** The client's address. */
  client: string;
  /** What it said in EHLO or HELO. */
  helo: string | null;
  /** The authenticated user, if any. */
  user: string | null;
  /** It came over TLS. */
  secure: boolean;
  /** When the message was received (ISO 8601). */
  receivedAt: string;
  /** The message's size in octets, as received (without the trace headers). */
  size: number;
}

export const ENVELOPES = 'envelopes';

const envelopePath = (maildir: string, name: string) => join(maildir, ENVELOPES, `${name}.json`);

export async function createEnvelopeDir(maildir: string): Promise<void> {
  await mkdir(join(maildir, ENVELOPES), { recursive: true, mode: 0o700 });
}

/** The envelope a session's transaction gives. */
export function storedEnvelope(
  envelope: Envelope,
  session: SessionInfo,
  date: Date,
  size: number,
): StoredEnvelope {
  return {
    from: envelope.from?.address ?? '',
    to: envelope.recipients.map((r) => r.address.address),
    client: session.remoteAddress.replace(/^::ffff:/, ''),
    helo: session.helo ?? null,
    user: session.user ?? null,
    secure: session.secure,
    receivedAt: date.toISOString(),
    size,
  };
}

/** Writes the envelope and flushes it and its directory, so that it survives a crash. */
async function writeEnvelope(maildir: string, name: string, envelope: StoredEnvelope): Promise<void> {
  const file = await open(envelopePath(maildir, name), 'wx', 0o600);
  try {
    await file.writeFile(JSON.stringify(envelope));
    await file.sync();
  } finally {
    await file.close();
  }
  const directory = await open(join(maildir, ENVELOPES), 'r');
  await directory.sync().catch(() => {});
  await directory.close();
}

/** The envelope stored for a message, or undefined if it has none (or an unreadable one). */
export async function readEnvelope(maildir: string, name: string): Promise<StoredEnvelope | undefined> {
  try {
    const value = JSON.parse(await readFile(envelopePath(maildir, name), 'utf8'));
    return typeof value === 'object' && value !== null && Array.isArray(value.to) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function removeEnvelope(maildir: string, name: string): Promise<void> {
  return unlink(envelopePath(maildir, name)).catch(() => {});
}

/**
 * Delivers a message to the Maildir with its envelope, the envelope on disk first; resolves once
 * both are there for good. If the message does not make it, its envelope is removed too.
 */
export async function deliverWithEnvelope(
  maildir: string,
  header: string,
  message: Readable,
  describe: (size: number) => StoredEnvelope,
): Promise<{ path: string; name: string; size: number; envelope: StoredEnvelope }> {
  let envelope: StoredEnvelope | undefined;
  let written: string | undefined;
  try {
    const { path, name, size } = await deliverToMaildir(maildir, header, message, async (name, size) => {
      envelope = describe(size);
      await writeEnvelope(maildir, name, envelope);
      written = name;
    });
    return { path, name, size, envelope: envelope as StoredEnvelope };
  } catch (error) {
    if (written !== undefined) await removeEnvelope(maildir, written);
    throw error;
  }
}
