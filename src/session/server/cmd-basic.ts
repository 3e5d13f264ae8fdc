/**
 * The commands with no state of their own (RFC 5321 4.1.1.5 to 4.1.1.10): RSET, NOOP, VRFY,
 * EXPN, HELP and QUIT.
 * @module
 */
import { Replies } from '../../protocol/replies.js';
import { reply } from '../../protocol/reply.js';
import type { SessionCore } from './core.js';

export function rset(s: SessionCore): void {
  s.endTransaction('rset');
  s.reply(Replies.reset);
}

export function noop(s: SessionCore): void {
  s.reply(Replies.noop);
}

/** VRFY is answered without looking (RFC 5321 3.5.3: 252 when the server will not tell). */
export function vrfy(s: SessionCore): void {
  s.reply(Replies.cannotVerify);
}

/** EXPN is the driver's to answer (502 when nothing does). */
export function expn(s: SessionCore, argument: string): void {
  s.ask({ type: 'expn', argument });
}

export function help(s: SessionCore): void {
  s.reply(Replies.help);
}

export function quit(s: SessionCore): void {
  s.endTransaction('aborted');
  s.reply(reply(221, '2.0.0', `${s.options.hostname} closing connection`));
  s.close();
}
