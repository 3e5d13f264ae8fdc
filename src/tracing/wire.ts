/**
 * Wire tracing: every command and reply line, published on channels (in Node, the
 * `node:diagnostics_channel` channels of `./channels.ts`) and written to the logger at `debug`,
 * with AUTH payloads redacted. Nothing is formatted when nobody listens. Pure: the runtime's
 * channels come in as an argument.
 *
 * Channels (each message is a {@link WireLine}): `esmtp:server:command`, `esmtp:server:reply`,
 * `esmtp:client:command`, `esmtp:client:reply`; and `esmtp:server:connect` and
 * `esmtp:server:close` (a {@link ConnectionEvent}).
 * @module
 */
import { type Logger, logsDebug } from './logger.js';

/** One line on the wire, as published. */
export interface WireLine {
  /** The session's id (`SessionInfo.id` on the server, `SmtpClient.id` on the client). */
  readonly session: string;
  /** The line, without its CRLF, with AUTH payloads replaced by `***`. */
  readonly line: string;
}

/** A connection that came or went, as published on `esmtp:server:connect` and `esmtp:server:close`. */
export interface ConnectionEvent {
  /** The session's id, as in `SessionInfo.id` and the {@link WireLine}s of the connection. */
  readonly session: string;
  /** The client's IP address. */
  readonly remoteAddress: string;
  /** The client's port. */
  readonly remotePort: number;
}

/** Where traced lines are published: `node:diagnostics_channel`'s `Channel` has this shape. */
export interface Publisher {
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
}

/** The channels of one side: its commands and its replies. */
export interface WireChannels {
  readonly command: Publisher;
  readonly reply: Publisher;
}

const nobody: Publisher = { hasSubscribers: false, publish() {} };

/** For runtimes without diagnostics channels: only the logger hears the wire. */
export const noChannels: WireChannels = { command: nobody, reply: nobody };

type Direction = 'command' | 'reply';

/**
 * Traces one side of one connection. It follows AUTH exchanges itself, so that what it publishes is
 * redacted whoever calls it: the payload of `AUTH <mechanism> <initial response>`, every response
 * line of the exchange, and the payload of every 334 challenge.
 */
export class WireTrace {
  private authenticating = false;

  constructor(
    readonly session: string,
    private readonly side: 'server' | 'client',
    private readonly logger: Logger,
    private readonly channels: WireChannels,
  ) {}

  /** Whether anything listens: callers skip the work of tracing when not. */
  get on(): boolean {
    const { command, reply } = this.channels;
    return command.hasSubscribers || reply.hasSubscribers || logsDebug(this.logger);
  }

  /** Command lines sent or received (CRLF-separated text). */
  commands(text: string): void {
    for (const line of lines(text)) this.publish('command', this.redactCommand(line));
  }

  /** Reply lines sent or received (CRLF-separated text). */
  replies(text: string): void {
    for (const line of lines(text)) {
      if (!line.startsWith('334')) this.authenticating = false;
      this.publish('reply', line.startsWith('334') ? '334 ***' : line);
    }
  }

  private redactCommand(line: string): string {
    if (this.authenticating) return '***';
    const auth = /^AUTH +(\S+)( +\S+)?/i.exec(line);
    if (auth === null) return line;
    this.authenticating = true;
    return auth[2] === undefined ? line : `AUTH ${auth[1]} ***`;
  }

  private publish(direction: Direction, line: string): void {
    const message: WireLine = { session: this.session, line };
    const server = this.side === 'server';
    const target = this.channels[direction];
    if (target.hasSubscribers) target.publish(message);
    if (logsDebug(this.logger)) {
      const arrow = (direction === 'command') === server ? '<' : '>';
      this.logger.debug({ session: this.session, [direction]: line }, `${arrow} ${line}`);
    }
  }
}

function lines(text: string): string[] {
  const out = text.split('\r\n');
  if (out.at(-1) === '') out.pop();
  return out;
}
