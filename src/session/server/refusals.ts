/**
 * Refusals tagged by type: a client error counts against `limits.invalidCommands`, a refusal of
 * policy does not (both count against `limits.errors`, as every 4xx and 5xx reply does). The tag
 * travels with the reply, so whoever emits a refusal later (the end of a skipped BDAT chunk, say)
 * counts it as it was meant, without comparing replies.
 * @module
 */
import { Replies } from '../../protocol/replies.js';
import { type Reply, reply } from '../../protocol/reply.js';
import { AuthReplies } from '../auth-lines.js';

export interface Refusal {
  readonly reply: Reply;
  /** The client broke a rule: bad syntax or sequence, or a command it may not give yet. */
  readonly counts: boolean;
}

/** The client broke a rule: counted against the error limit. */
export function clientError(r: Reply): Refusal {
  return { reply: r, counts: true };
}

/** The client did nothing wrong, but the answer is no (a limit, the message's content): not counted. */
export function policyRefusal(r: Reply): Refusal {
  return { reply: r, counts: false };
}

export const Refusals = {
  // client errors: syntax and sequence
  unrecognized: clientError(Replies.unrecognized),
  lineTooLong: clientError(Replies.lineTooLong),
  bareLineFeed: clientError(Replies.bareLineFeed),
  notImplemented: clientError(Replies.notImplemented),
  badSequence: clientError(Replies.badSequence),
  unknownParameter: clientError(Replies.unknownParameter),
  binaryMimeNeedsBdat: clientError(reply(503, '5.5.1', 'BODY=BINARYMIME requires BDAT')),
  // client errors: commands given before TLS or AUTH, or AUTH gone wrong
  tlsRequired: clientError(AuthReplies.tlsRequired),
  authRequired: clientError(AuthReplies.authRequired),
  encryptionRequired: clientError(AuthReplies.encryptionRequired),
  unknownMechanism: clientError(AuthReplies.unknownMechanism),
  // policy
  messageTooBig: policyRefusal(Replies.messageTooBig),
  tooManyRecipients: policyRefusal(Replies.tooManyRecipients),
  utf8NotAllowed: policyRefusal(Replies.utf8NotAllowed),
  noValidRecipients: policyRefusal(Replies.noValidRecipients),
} as const satisfies Record<string, Refusal>;
