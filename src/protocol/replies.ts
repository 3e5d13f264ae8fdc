/**
 * The standard replies with their enhanced status codes (RFC 5321 4.2.2, RFC 3463, RFC 3030,
 * RFC 4954, RFC 6531, RFC 1870). Every layer takes its replies from here instead of writing
 * codes and texts of its own, so that one reply always reads the same.
 * @module
 */
import { type Reply, reply } from './reply.js';

/**
 * The standard replies by name, such as `Replies.badSequence` (503 5.5.1) or
 * `Replies.messageTooBig` (552 5.3.4). Send them with `encodeReply`, refuse with
 * `new SmtpError(Replies.x)`, or compare a reply's code with theirs.
 */
export const Replies = {
  // 2xx
  /** A general success, for a command that has no reply of its own. */
  ok: reply(250, '2.0.0', 'OK'),
  /** MAIL accepted. */
  senderOk: reply(250, '2.1.0', 'Sender OK'),
  /** RCPT accepted. */
  recipientOk: reply(250, '2.1.5', 'Recipient OK'),
  /** The message is stored: the end of DATA, or the last BDAT chunk. */
  messageAccepted: reply(250, '2.0.0', 'Message accepted'),
  /** RSET done: the transaction is gone. */
  reset: reply(250, '2.0.0', 'Reset OK'),
  /** NOOP. */
  noop: reply(250, '2.0.0', 'OK'),
  /** VRFY: the server does not check mailboxes for the client, and says so (RFC 5321 3.5.3). */
  cannotVerify: reply(252, '2.5.0', 'Cannot VRFY user, but will accept message and attempt delivery'),
  /** HELP. */
  help: reply(214, '2.0.0', 'See RFC 5321'),
  /** AUTH succeeded. */
  authenticated: reply(235, '2.7.0', 'Authentication successful'),
  /** STARTTLS accepted: the TLS handshake follows. */
  readyForTls: reply(220, '2.0.0', 'Ready to start TLS'),
  // 3xx
  /** DATA accepted: send the message, ended by a line with a single dot. */
  startData: reply(354, undefined, 'End data with <CR><LF>.<CR><LF>'),
  // 4xx
  /** A RCPT beyond the recipient limit (RFC 5321 4.5.3.1.10: a 452, so the client sends the rest later). */
  tooManyRecipients: reply(452, '4.5.3', 'Too many recipients'),
  /** The server failed (a hook threw something other than an `SmtpError`): try again later. */
  localError: reply(451, '4.3.0', 'Requested action aborted: local error in processing'),
  /** A command or message did not arrive in time; the connection closes. */
  timeout: reply(421, '4.4.2', 'Timeout, closing connection'),
  /** The server is closing; the connection closes. */
  shuttingDown: reply(421, '4.3.2', 'Service shutting down, closing connection'),
  /** Over the connection limits; the connection closes. */
  tooManyConnections: reply(421, '4.7.0', 'Too many connections, try again later'),
  /** Over `limits.connectionRate`: the client connected too often; the connection closes. */
  connectionRateExceeded: reply(421, '4.7.0', 'Too many connections from your address, try again later'),
  /** Over the limit of invalid commands; the connection closes. */
  tooManyErrors: reply(421, '4.7.0', 'Too many errors, closing connection'),
  /** Over `limits.errors`: too many commands refused, of any kind; the connection closes. */
  tooManyFailedCommands: reply(421, '4.7.0', 'Too many failed commands, closing connection'),
  // 5xx: syntax and sequence
  /** A verb the server does not know. */
  unrecognized: reply(500, '5.5.1', 'Command unrecognized'),
  /** A line that is not a command at all (bad characters, NUL, invalid UTF-8). */
  syntaxError: reply(500, '5.5.2', 'Syntax error'),
  /** A command line ended by LF alone. */
  bareLineFeed: reply(500, '5.5.2', 'Bare <LF> received; lines must end with <CR><LF>'),
  /** A command line over the length limit. */
  lineTooLong: reply(500, '5.5.6', 'Line too long'),
  /** An argument to a command that takes none (RSET, QUIT, DATA, STARTTLS). */
  noArguments: reply(501, '5.5.4', 'Syntax error: no arguments allowed'),
  /** A command without the argument it needs (EHLO, VRFY, EXPN), or AUTH without a mechanism name. */
  argumentRequired: reply(501, '5.5.4', 'Syntax error: argument required'),
  /** EHLO, HELO or LHLO with something other than a domain or address literal. */
  invalidDomain: reply(501, '5.5.4', 'Syntax error: invalid domain or address literal'),
  /** MAIL with a malformed reverse-path. */
  badSenderSyntax: reply(501, '5.1.7', 'Bad sender address syntax'),
  /** RCPT with a malformed forward-path. */
  badRecipientSyntax: reply(501, '5.1.3', 'Bad recipient address syntax'),
  /** A malformed or repeated ESMTP parameter, or a bad value. */
  badParameter: reply(501, '5.5.4', 'Syntax error in parameters'),
  /** MAIL without `FROM:`. */
  mailSyntax: reply(501, '5.5.4', 'Syntax error: MAIL FROM:<address> expected'),
  /** RCPT without `TO:`. */
  rcptSyntax: reply(501, '5.5.4', 'Syntax error: RCPT TO:<address> expected'),
  /** A command esmtp knows but does not carry out here (EXPN without an `onExpn` hook, say). */
  notImplemented: reply(502, '5.5.1', 'Command not implemented'),
  /** A command out of order: RCPT before MAIL, DATA before RCPT, a second MAIL, ... */
  badSequence: reply(503, '5.5.1', 'Bad sequence of commands'),
  /** An ESMTP parameter that is unknown or belongs to an extension not offered. */
  unknownParameter: reply(555, '5.5.4', 'Parameter not recognized or not implemented'),
  // 5xx: policy and content
  /** A message over the size limit, declared with SIZE= or found while it streams. */
  messageTooBig: reply(552, '5.3.4', 'Message size exceeds fixed maximum message size'),
  /** A non-ASCII address without SMTPUTF8 on MAIL (RFC 6531 3.4). */
  utf8NotAllowed: reply(553, '5.6.7', 'Non-ASCII address requires the SMTPUTF8 parameter'),
  /** A message that holds a bare CR or LF, refused whole after its end. */
  bareLineEndInData: reply(550, '5.5.2', 'Message contains bare <CR> or <LF>; lines must end with <CR><LF>'),
  /** Message bytes sent before the 354 reply; the connection closes. */
  pipeliningViolation: reply(554, '5.5.0', 'Data sent before the 354 reply; closing connection'),
  /** DATA or BDAT when no recipient was accepted. */
  noValidRecipients: reply(554, '5.5.1', 'No valid recipients'),
  /** RCPT for a domain the server does not receive for, from a client that may not relay. */
  relayDenied: reply(550, '5.7.1', 'Relaying denied'),
  /** RCPT for a mailbox that does not exist in a domain the server receives for. */
  noSuchUser: reply(550, '5.1.1', 'No such user here'),
} as const satisfies Record<string, Reply>;

/** The name of a standard reply. */
export type ReplyName = keyof typeof Replies;
