/**
 * The standard replies with their enhanced status codes (RFC 5321 4.2.2, RFC 3463, RFC 3030,
 * RFC 4954, RFC 6531, RFC 1870). Every layer takes its replies from here instead of writing
 * codes and texts of its own, so that one reply always reads the same.
 * @module
 */
import { type Reply, reply } from './reply.js';

export const Replies = {
  // 2xx
  ok: reply(250, '2.0.0', 'OK'),
  senderOk: reply(250, '2.1.0', 'Sender OK'),
  recipientOk: reply(250, '2.1.5', 'Recipient OK'),
  messageAccepted: reply(250, '2.0.0', 'Message accepted'),
  reset: reply(250, '2.0.0', 'Reset OK'),
  noop: reply(250, '2.0.0', 'OK'),
  cannotVerify: reply(252, '2.5.0', 'Cannot VRFY user, but will accept message and attempt delivery'),
  help: reply(214, '2.0.0', 'See RFC 5321'),
  authenticated: reply(235, '2.7.0', 'Authentication successful'),
  readyForTls: reply(220, '2.0.0', 'Ready to start TLS'),
  // 3xx
  startData: reply(354, undefined, 'End data with <CR><LF>.<CR><LF>'),
  // 4xx
  tooManyRecipients: reply(452, '4.5.3', 'Too many recipients'),
  localError: reply(451, '4.3.0', 'Requested action aborted: local error in processing'),
  timeout: reply(421, '4.4.2', 'Timeout, closing connection'),
  shuttingDown: reply(421, '4.3.2', 'Service shutting down, closing connection'),
  tooManyConnections: reply(421, '4.7.0', 'Too many connections, try again later'),
  tooManyErrors: reply(421, '4.7.0', 'Too many errors, closing connection'),
  // 5xx: syntax and sequence
  unrecognized: reply(500, '5.5.1', 'Command unrecognized'),
  syntaxError: reply(500, '5.5.2', 'Syntax error'),
  bareLineFeed: reply(500, '5.5.2', 'Bare <LF> received; lines must end with <CR><LF>'),
  lineTooLong: reply(500, '5.5.6', 'Line too long'),
  noArguments: reply(501, '5.5.4', 'Syntax error: no arguments allowed'),
  argumentRequired: reply(501, '5.5.4', 'Syntax error: argument required'),
  invalidDomain: reply(501, '5.5.4', 'Syntax error: invalid domain or address literal'),
  badSenderSyntax: reply(501, '5.1.7', 'Bad sender address syntax'),
  badRecipientSyntax: reply(501, '5.1.3', 'Bad recipient address syntax'),
  badParameter: reply(501, '5.5.4', 'Syntax error in parameters'),
  mailSyntax: reply(501, '5.5.4', 'Syntax error: MAIL FROM:<address> expected'),
  rcptSyntax: reply(501, '5.5.4', 'Syntax error: RCPT TO:<address> expected'),
  notImplemented: reply(502, '5.5.1', 'Command not implemented'),
  badSequence: reply(503, '5.5.1', 'Bad sequence of commands'),
  unknownParameter: reply(555, '5.5.4', 'Parameter not recognized or not implemented'),
  // 5xx: policy and content
  messageTooBig: reply(552, '5.3.4', 'Message size exceeds fixed maximum message size'),
  utf8NotAllowed: reply(553, '5.6.7', 'Non-ASCII address requires the SMTPUTF8 parameter'),
  bareLineEndInData: reply(550, '5.5.2', 'Message contains bare <CR> or <LF>; lines must end with <CR><LF>'),
  pipeliningViolation: reply(554, '5.5.0', 'Data sent before the 354 reply; closing connection'),
  noValidRecipients: reply(554, '5.5.1', 'No valid recipients'),
} as const satisfies Record<string, Reply>;

/** The name of a standard reply. */
export type ReplyName = keyof typeof Replies;
