/**
 * The server side of one SMTP connection as a pure state machine: bytes in, replies and events out.
 * It decides sequencing, syntax, limits and what each extension allows; whatever needs the
 * application (the hooks) comes out as an event that waits for `accept()` or `reject()`.
 * @module
 */
import type { Address } from '../protocol/address.js';
import { type Command, type ParseCommandOptions, parseCommandLine } from '../protocol/commands.js';
import type { Capabilities } from '../protocol/ehlo.js';
import { formatEhloReply } from '../protocol/ehlo.js';
import { SmtpError } from '../protocol/errors.js';
import { type LineEvent, LineReader } from '../protocol/line-reader.js';
import type { MailParameters, RcptParameters } from '../protocol/parameters.js';
import { Replies } from '../protocol/replies.js';
import { encodeReply, type Reply, reply } from '../protocol/reply.js';
import { AUTH_LINE_LENGTH, AuthReplies, challengeReply, readAuthLine } from './auth-lines.js';
import { MessageReader } from './message-reader.js';
import type { Envelope, Recipient, ServerEvent } from './server-events.js';
import {
  mailKeywords,
  offeredCapabilities,
  type ResolvedServerOptions,
  rcptKeywords,
  resolveServerOptions,
  type ServerSessionOptions,
} from './server-options.js';

type Decision = 'helo' | 'mail' | 'rcpt' | 'expn' | 'message-end' | 'auth';

enum Mode {
  Command = 0,
  Body = 1,
  Closed = 2,
  /** After STARTTLS's 220: every byte until the handshake is discarded. */
  AwaitTls = 3,
  /** After a 334: the next line is an AUTH response. */
  AuthResponse = 4,
}

interface Transaction {
  readonly from: Address | null;
  readonly params: MailParameters;
  readonly recipients: Recipient[];
  rcptAttempts: number;
  /** BDAT chunks have been sent for this message: DATA is no longer allowed. */
  chunked: boolean;
}

const ACCEPTED: Record<Exclude<Decision, 'helo' | 'expn' | 'auth'>, Reply> = {
  mail: Replies.senderOk,
  rcpt: Replies.recipientOk,
  'message-end': Replies.messageAccepted,
};

export class ServerSession {
  readonly options: ResolvedServerOptions;
  private readonly lines: LineReader;
  private readonly input: Uint8Array[] = [];
  private readonly out: ServerEvent[] = [];
  private mode = Mode.Command;
  private awaiting: Decision | undefined;
  private pendingHelo: { name: string; extended: boolean } | undefined;
  private pendingMail: { from: Address | null; params: MailParameters } | undefined;
  private pendingRcpt: Recipient | undefined;
  private message: MessageReader | undefined; // the message in progress
  private body: MessageReader | undefined; // what reads the input in Body mode
  /**
   * Why a chunked message failed before its last chunk: the BDATs the client pipelined behind the
   * failed one are read past with this reply, and not counted as errors (RFC 3030 4.2: the client
   * stops sending, but chunks already on their way still arrive).
   */
  private refusedChunks: Reply | undefined;
  private invalid = 0;
  private capabilities: Capabilities | undefined;
  /** The ESMTP parameters accepted, worked out once per EHLO rather than on every command. */
  private parseOptions: ParseCommandOptions = NO_PARAMETERS;
  private secureConnection: boolean;
  private heloName: { name: string; extended: boolean } | undefined;
  private transaction: Transaction | undefined;
  private authenticatedUser: string | undefined;
  private authMechanism: string | undefined;
  private authFailures = 0;

  constructor(options: ServerSessionOptions) {
    this.options = resolveServerOptions(options);
    this.secureConnection = options.secure ?? false;
    this.lines = new LineReader({
      maxLength: this.options.commandLineLength,
      lfEndsLine: this.options.acceptBareLfInCommands,
    });
  }

  /** The 220 greeting to send once the connection is accepted. */
  greeting(): ServerEvent {
    return this.replyEvent(reply(220, undefined, `${this.options.hostname} ${this.options.greeting}`));
  }

  /** The user name a successful AUTH established. */
  get user(): string | undefined {
    return this.authenticatedUser;
  }

  /** The name given with EHLO or HELO, and whether it was EHLO. */
  get helo(): { readonly name: string; readonly extended: boolean } | undefined {
    return this.heloName;
  }

  /** The transaction in progress, if any. */
  get envelope(): Envelope | undefined {
    return this.transaction;
  }

  /** Replies carry enhanced status codes (after EHLO, with ENHANCEDSTATUSCODES on). */
  get enhancedCodes(): boolean {
    return this.capabilities?.enhancedStatusCodes === true;
  }

  get secure(): boolean {
    return this.secureConnection;
  }

  /** True while a message is being received (between DATA or the first BDAT and its end). */
  get inMessage(): boolean {
    return this.message !== undefined;
  }

  /** True when the session waits for `accept()` or `reject()`. */
  get waiting(): boolean {
    return this.awaiting !== undefined;
  }

  get closed(): boolean {
    return this.mode === Mode.Closed;
  }

  /** Bytes received and not yet processed. */
  get buffered(): number {
    return this.lines.buffered + this.input.reduce((n, c) => n + c.length, 0);
  }

  /** Adds received bytes. The session keeps views of them; do not reuse the chunk. */
  push(chunk: Uint8Array): void {
    // Nothing sent before the TLS handshake may be used after it (RFC 3207 6, CVE-2011-0411).
    if (this.mode !== Mode.Closed && this.mode !== Mode.AwaitTls && chunk.length > 0) this.input.push(chunk);
  }

  /** The next event, or undefined when more input (or a decision) is needed. */
  next(): ServerEvent | undefined {
    while (
      this.out.length === 0 &&
      this.awaiting === undefined &&
      this.mode !== Mode.Closed &&
      this.mode !== Mode.AwaitTls
    ) {
      if (!this.step()) break;
    }
    return this.out.shift();
  }

  /**
   * Accepts what the last decision event asked about, with the standard reply or `custom`. Does
   * nothing when the session was shut down while the decision was pending.
   */
  accept(custom?: Reply): void {
    const decision = this.takeDecision();
    if (decision === undefined) return;
    switch (decision) {
      case 'helo':
        this.acceptHelo(custom);
        return;
      case 'mail': {
        const mail = this.pendingMail as NonNullable<typeof this.pendingMail>;
        this.transaction = {
          from: mail.from,
          params: mail.params,
          recipients: [],
          rcptAttempts: 0,
          chunked: false,
        };
        break;
      }
      case 'rcpt':
        this.transaction?.recipients.push(this.pendingRcpt as Recipient);
        break;
      case 'expn':
        this.emitReply(custom ?? Replies.notImplemented);
        return;
      case 'auth':
        throw new Error('ServerSession: answer AUTH with authChallenge(), authSucceeded() or authFailed()');
      case 'message-end':
        return this.endTransaction(custom ?? ACCEPTED[decision]);
    }
    this.emitReply(custom ?? ACCEPTED[decision]);
  }

  /** Refuses what the last decision event asked about with `refusal`. */
  reject(refusal: Reply): void {
    const decision = this.takeDecision();
    if (decision === undefined) return;
    if (decision === 'message-end') return this.endTransaction(refusal);
    this.emitReply(refusal);
  }

  /** The message's outcome: one reply, or with LMTP one per accepted recipient (RFC 2033 4.2). */
  private endTransaction(outcome: Reply): void {
    const count = this.options.lmtp ? (this.transaction?.recipients.length ?? 1) : 1;
    this.transaction = undefined;
    for (let i = 0; i < count; i++) this.emitReply(outcome);
  }

  /**
   * Ends the session from outside (timeout, shutdown): a message in progress is aborted, `final` is
   * sent when given, then the connection closes.
   */
  shutdown(final?: Reply): void {
    if (this.mode === Mode.Closed) return;
    this.abortMessage(Replies.localError);
    if (final !== undefined) this.emitReply(final);
    this.closeSession();
  }

  /** The connection is gone: abort a message in progress. No reply can be sent any more. */
  connectionLost(): void {
    if (this.mode === Mode.Closed) return;
    this.abortMessage(Replies.localError);
    this.mode = Mode.Closed;
    this.awaiting = undefined;
  }

  // ---- input ---------------------------------------------------------------------------------

  /** Processes some input; false when nothing could be done. */
  private step(): boolean {
    if (this.mode === Mode.Body) return this.stepBody();
    const event = this.lines.next();
    if (event === undefined) {
      const chunk = this.input.shift();
      if (chunk === undefined) return false;
      this.lines.push(chunk);
      return true;
    }
    if (this.mode === Mode.AuthResponse) this.authLine(event);
    else if (event.kind === 'too-long') this.error(Replies.lineTooLong);
    else if (event.bareLf) this.error(Replies.bareLineFeed);
    else this.command(event.bytes);
    return true;
  }

  private stepBody(): boolean {
    const message = this.body as MessageReader;
    const chunk = this.input.shift();
    if (chunk === undefined) return false;
    const rest = message.push(chunk, (bytes) => this.out.push({ type: 'message-data', bytes }));
    if (message.aborted !== undefined && !message.abortReported) {
      message.abortReported = true;
      this.out.push({ type: 'message-abort', reason: message.aborted });
    }
    if (rest === undefined) return true;
    if (rest.length > 0) this.input.unshift(rest);
    this.mode = Mode.Command;
    this.body = undefined;
    this.finishPart(message);
    return true;
  }

  /** A DATA message or BDAT chunk has been read to its end. */
  private finishPart(message: MessageReader): void {
    if (message.aborted !== undefined) {
      if (message === this.message) {
        this.message = undefined;
        this.transaction = undefined;
        if (!message.last) this.refusedChunks = message.aborted;
        this.emitReply(message.aborted);
      } else if (message.aborted === this.refusedChunks) {
        if (message.last) this.refusedChunks = undefined;
        this.emitReply(message.aborted);
      } else if (message.aborted === Replies.noValidRecipients) this.emitReply(message.aborted);
      else this.error(message.aborted); // a BDAT out of sequence, or before STARTTLS
      return;
    }
    if (!message.last) {
      this.emitReply(reply(250, '2.0.0', `${message.chunkSize} octets received`));
      return;
    }
    this.message = undefined;
    this.ask('message-end', { type: 'message-end', size: message.size });
  }

  private command(bytes: Uint8Array): void {
    let command: Command;
    try {
      command = parseCommandLine(bytes, this.parseOptions);
    } catch (error) {
      if (!(error instanceof SmtpError)) throw error;
      // A BDAT whose size cannot be read leaves no way to find the next command: close.
      if (bytes.length >= 4 && /^bdat$/i.test(String.fromCharCode(...bytes.subarray(0, 4)))) {
        this.emitReply(error.reply);
        this.closeSession();
        return;
      }
      this.error(error.reply);
      return;
    }
    this.dispatch(command);
  }

  private dispatch(command: Command): void {
    if (command.verb !== 'BDAT') this.refusedChunks = undefined;
    switch (command.verb) {
      case 'EHLO':
      case 'HELO':
      case 'LHLO':
        // RFC 2033 4.1: an LMTP server takes LHLO only; an SMTP server does not know it.
        if ((command.verb === 'LHLO') !== this.options.lmtp) return this.error(Replies.unrecognized);
        this.abortMessage(Replies.reset);
        this.transaction = undefined;
        this.pendingHelo = { name: command.domain, extended: command.verb !== 'HELO' };
        this.ask('helo', { type: 'helo', ...this.pendingHelo });
        return;
      case 'MAIL':
        return this.mail(command.from, command.params);
      case 'RCPT':
        return this.rcpt(command.to, command.params);
      case 'DATA':
        return this.data();
      case 'BDAT':
        return this.bdat(command.size, command.last);
      case 'RSET':
        this.abortMessage(Replies.reset);
        this.transaction = undefined;
        this.emitReply(Replies.reset);
        return;
      case 'NOOP':
        return this.emitReply(Replies.noop);
      case 'VRFY':
        return this.emitReply(Replies.cannotVerify);
      case 'EXPN':
        return this.ask('expn', { type: 'expn', argument: command.argument });
      case 'HELP':
        return this.emitReply(Replies.help);
      case 'QUIT':
        this.abortMessage(Replies.localError);
        this.emitReply(reply(221, '2.0.0', `${this.options.hostname} closing connection`));
        this.closeSession();
        return;
      case 'STARTTLS':
        return this.starttls();
      case 'AUTH':
        return this.auth(command.mechanism, command.initialResponse);
      default: // LHLO without LMTP, and unknown verbs
        this.error(Replies.unrecognized);
    }
  }

  private mail(from: Address | null, params: MailParameters): void {
    if (this.tlsRequired()) return this.error(AuthReplies.tlsRequired);
    if (this.heloName === undefined || this.transaction !== undefined) return this.error(Replies.badSequence);
    if (this.options.auth?.required && this.authenticatedUser === undefined) {
      return this.error(AuthReplies.authRequired);
    }
    if (params.size !== undefined && params.size > this.options.messageSize) {
      return this.emitReply(Replies.messageTooBig);
    }
    if (params.body === 'BINARYMIME' && !this.capabilities?.binaryMime)
      return this.error(Replies.unknownParameter);
    if (params.body === '8BITMIME' && !this.capabilities?.eightBitMime)
      return this.error(Replies.unknownParameter);
    // RFC 4954 5: from a client that has not authenticated, AUTH= is read as AUTH=<>.
    const trusted = params.auth === undefined || this.authenticatedUser !== undefined;
    const accepted = trusted ? params : { ...params, auth: '<>' };
    this.pendingMail = { from, params: accepted };
    this.ask('mail', { type: 'mail', from, params: accepted });
  }

  private rcpt(to: Address, params: RcptParameters): void {
    if (this.tlsRequired()) return this.error(AuthReplies.tlsRequired);
    const t = this.transaction;
    if (t === undefined || this.message !== undefined) return this.error(Replies.badSequence);
    t.rcptAttempts++;
    if (t.recipients.length >= this.options.recipients) return this.emitReply(Replies.tooManyRecipients);
    if (to.utf8 && !t.params.smtputf8) return this.emitReply(Replies.utf8NotAllowed);
    this.pendingRcpt = { address: to, params };
    this.ask('rcpt', { type: 'rcpt', to, params });
  }

  private data(): void {
    if (this.tlsRequired()) return this.error(AuthReplies.tlsRequired);
    const t = this.transaction;
    if (t === undefined || t.chunked) return this.error(Replies.badSequence);
    if (t.recipients.length === 0) {
      return t.rcptAttempts > 0 ? this.emitReply(Replies.noValidRecipients) : this.error(Replies.badSequence);
    }
    if (t.params.body === 'BINARYMIME') {
      return this.error(reply(503, '5.5.1', 'BODY=BINARYMIME requires BDAT'));
    }
    // RFC 2920 3.1: DATA ends a pipelined group, so nothing may follow it before the 354.
    if (!this.options.allowEarlyData && this.buffered > 0) {
      this.emitReply(Replies.pipeliningViolation);
      this.closeSession();
      return;
    }
    this.emitReply(Replies.startData);
    this.startMessage(t, MessageReader.data(this.options));
    this.readBody(this.message as MessageReader);
  }

  private bdat(size: number, last: boolean): void {
    const t = this.transaction;
    const refusal = this.tlsRequired()
      ? AuthReplies.tlsRequired
      : t === undefined
        ? (this.refusedChunks ?? Replies.badSequence)
        : t.recipients.length === 0
          ? t.rcptAttempts > 0
            ? Replies.noValidRecipients
            : Replies.badSequence
          : undefined;
    if (t === undefined || refusal !== undefined) {
      // RFC 3030 2: the chunk's octets follow whatever the reply; read them past, never as commands.
      this.readBody(MessageReader.discard(size, last, refusal ?? Replies.badSequence));
      return;
    }
    if (this.message === undefined) {
      t.chunked = true;
      this.startMessage(t, MessageReader.chunked(this.options));
    }
    (this.message as MessageReader).nextChunk(size, last);
    this.readBody(this.message as MessageReader);
  }

  private startMessage(t: Transaction, message: MessageReader): void {
    this.message = message;
    this.out.push({ type: 'message-start', envelope: t });
  }

  /** Switches to reading `reader` from the input, starting with what the line reader holds. */
  private readBody(reader: MessageReader): void {
    this.input.unshift(this.lines.takeRest());
    this.mode = Mode.Body;
    this.body = reader;
  }

  // ---- STARTTLS and AUTH -----------------------------------------------------------------------

  /** The handshake succeeded: everything known before it is forgotten (RFC 3207 4.2). */
  tlsStarted(): void {
    if (this.mode !== Mode.AwaitTls) throw new Error('ServerSession: no STARTTLS is pending');
    this.secureConnection = true;
    this.heloName = this.capabilities = this.transaction = this.authenticatedUser = undefined;
    this.parseOptions = NO_PARAMETERS;
    this.input.length = 0;
    this.lines.clear();
    this.mode = Mode.Command;
  }

  /** Sends a challenge (334) in the AUTH exchange; the client's answer comes as another `auth` event. */
  authChallenge(challenge: Uint8Array): void {
    this.takeAuthDecision();
    this.emitReply(challengeReply(challenge));
    this.mode = Mode.AuthResponse;
  }

  /** The client authenticated as `user` (235). */
  authSucceeded(user: string): void {
    this.takeAuthDecision();
    this.endAuth();
    this.authenticatedUser = user;
    this.emitReply(AuthReplies.succeeded);
  }

  /** Authentication failed: 535 5.7.8 (or `refusal`), and 421 once there were too many failures. */
  authFailed(refusal: Reply = AuthReplies.failed): void {
    this.takeAuthDecision();
    this.endAuth();
    this.emitReply(refusal);
    if (++this.authFailures >= (this.options.auth?.maxFailures ?? 3)) {
      this.emitReply(Replies.tooManyErrors);
      this.closeSession();
    }
  }

  private starttls(): void {
    if (!this.options.starttls) return this.error(Replies.notImplemented);
    if (this.secureConnection) return this.error(Replies.badSequence);
    this.abortMessage(Replies.reset);
    this.emitReply(Replies.readyForTls);
    this.input.length = 0;
    this.lines.clear();
    this.mode = Mode.AwaitTls;
    this.out.push({ type: 'starttls' });
  }

  private auth(mechanism: string, initialResponse: string | undefined): void {
    const auth = this.options.auth;
    if (auth === undefined) return this.error(Replies.notImplemented);
    if (this.tlsRequired()) return this.error(AuthReplies.tlsRequired);
    if (!this.secureConnection && !auth.allowInsecure) return this.error(AuthReplies.encryptionRequired);
    if (
      this.heloName === undefined ||
      this.authenticatedUser !== undefined ||
      this.transaction !== undefined
    ) {
      return this.error(Replies.badSequence);
    }
    if (!auth.mechanisms.includes(mechanism)) return this.error(AuthReplies.unknownMechanism);
    let response: Uint8Array | undefined;
    if (initialResponse !== undefined) {
      const line = readAuthLine(initialResponse);
      if ('end' in line) return this.error(line.end);
      response = line.bytes;
    }
    this.authMechanism = mechanism;
    this.lines.maxLength = Math.max(AUTH_LINE_LENGTH, this.options.commandLineLength);
    this.ask('auth', { type: 'auth', mechanism, response });
  }

  private authLine(event: LineEvent): void {
    const mechanism = this.authMechanism as string;
    const line =
      event.kind === 'too-long'
        ? { end: Replies.lineTooLong }
        : readAuthLine(String.fromCharCode(...event.bytes.subarray(0, 16384)));
    if ('end' in line) {
      this.endAuth();
      this.out.push({ type: 'auth-end' });
      this.error(line.end);
      return;
    }
    this.ask('auth', { type: 'auth', mechanism, response: line.bytes });
  }

  private endAuth(): void {
    this.authMechanism = undefined;
    this.lines.maxLength = this.options.commandLineLength;
    if (this.mode === Mode.AuthResponse) this.mode = Mode.Command;
  }

  private takeAuthDecision(): void {
    if (this.awaiting !== 'auth') throw new Error('ServerSession: no AUTH step is pending');
    this.awaiting = undefined;
  }

  private tlsRequired(): boolean {
    return this.options.requireTls && !this.secureConnection;
  }

  // ---- decisions and replies -----------------------------------------------------------------

  private ask(decision: Decision, event: ServerEvent): void {
    this.awaiting = decision;
    this.out.push(event);
  }

  /** The pending decision, taken; undefined once the session was shut down meanwhile. */
  private takeDecision(): Decision | undefined {
    const decision = this.awaiting;
    if (decision === undefined && this.mode !== Mode.Closed) {
      throw new Error('ServerSession: no decision is pending');
    }
    this.awaiting = undefined;
    return decision;
  }

  private acceptHelo(custom: Reply | undefined): void {
    const helo = this.pendingHelo as { name: string; extended: boolean };
    this.heloName = helo;
    const caps = helo.extended ? offeredCapabilities(this.options, this.secureConnection) : undefined;
    this.capabilities = caps;
    this.parseOptions =
      caps === undefined
        ? NO_PARAMETERS
        : { mailParameters: mailKeywords(caps), rcptParameters: rcptKeywords(caps) };
    if (custom !== undefined) return this.emitReply(custom);
    const hello = `Hello ${helo.name}`;
    if (caps === undefined) return this.emitReply(reply(250, undefined, `${this.options.hostname} ${hello}`));
    this.emitReply(formatEhloReply({ domain: this.options.hostname, greeting: hello, capabilities: caps }));
  }

  private abortMessage(reason: Reply): void {
    const message = this.message;
    if (message === undefined) return;
    this.message = undefined;
    if (message.abortReported) return;
    this.out.push({ type: 'message-abort', reason });
  }

  /**
   * A client error: reply, and close after too many. Every error counts against the one limit
   * (Postfix's hard error limit): bad syntax and sequence, unknown mechanisms, cancelled or
   * malformed AUTH exchanges, commands refused for want of TLS or AUTH.
   */
  private error(r: Reply): void {
    this.emitReply(r);
    this.countError();
  }

  private countError(): void {
    if (++this.invalid < this.options.invalidCommands || this.mode === Mode.Closed) return;
    this.emitReply(Replies.tooManyErrors);
    this.closeSession();
  }

  private emitReply(r: Reply): void {
    this.out.push(this.replyEvent(r));
  }

  private replyEvent(r: Reply): ServerEvent {
    return { type: 'reply', reply: r, wire: wireOf(r, this.enhancedCodes) };
  }

  private closeSession(): void {
    this.mode = Mode.Closed;
    this.awaiting = undefined;
    this.input.length = 0;
    this.lines.clear();
    this.out.push({ type: 'close' });
  }
}

const NO_PARAMETERS: ParseCommandOptions = { mailParameters: new Set(), rcptParameters: new Set() };

// Replies are immutable and most are the same few constants: each is encoded once, not per use.
const WIRES = { plain: new WeakMap<Reply, string>(), enhanced: new WeakMap<Reply, string>() };

function wireOf(r: Reply, enhanced: boolean): string {
  const cache = enhanced ? WIRES.enhanced : WIRES.plain;
  let wire = cache.get(r);
  if (wire === undefined) {
    wire = encodeReply(r, { enhanced });
    cache.set(r, wire);
  }
  return wire;
}
