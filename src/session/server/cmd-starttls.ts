/**
 * STARTTLS (RFC 3207): the 220, then nothing is read until the handshake; after it the session
 * starts over, forgetting what the client said before (RFC 3207 4.2).
 * @module
 */
import { Replies } from '../../protocol/replies.js';
import type { SessionCore } from './core.js';
import { Refusals } from './refusals.js';
import { COMMANDS, TLS_HANDSHAKE } from './state.js';

const STARTTLS = { type: 'starttls' } as const;

export function starttls(s: SessionCore): void {
  if (!s.options.starttls) return s.refuse(Refusals.notImplemented);
  if (s.secure) return s.refuse(Refusals.badSequence);
  s.endTransaction('starttls');
  s.reply(Replies.readyForTls);
  // Nothing sent before the handshake may be used after it (RFC 3207 6, CVE-2011-0411).
  s.queue.length = 0;
  s.lines.clear();
  s.input = TLS_HANDSHAKE;
  s.emit(STARTTLS);
}

/** The handshake succeeded. */
export function tlsStarted(s: SessionCore): void {
  if (s.input.type !== 'tls-handshake') throw new Error('ServerSession: no STARTTLS is pending');
  s.secure = true;
  s.hello = s.user = undefined;
  s.queue.length = 0;
  s.lines.clear();
  s.input = COMMANDS;
}
