import { Replies } from '../../src/protocol/replies.js';
import type { ServerEvent } from '../../src/session/server-events.js';
import type { ServerSessionOptions } from '../../src/session/server-options.js';
import { ServerSession } from '../../src/session/server-session.js';
import { bytes, latin1 } from './bytes.js';

/** An event that waits for an answer. */
export type Decision = Extract<
  ServerEvent,
  { type: 'helo' | 'mail' | 'rcpt' | 'expn' | 'message-end' | 'auth' }
>;

/**
 * Answers a decision by calling `accept()`, `reject()`, `settleMessage()` or one of the AUTH
 * methods, or leaves it pending by calling nothing.
 */
export type Answerer = (decision: Decision, session: ServerSession) => void;

/** Accepts everything but EXPN (502, as a server without `onExpn`); leaves AUTH to the test. */
export const acceptAll: Answerer = (decision, session) => {
  if (decision.type === 'expn') session.reject(Replies.notImplemented);
  else if (decision.type !== 'auth') session.accept();
};

/**
 * Drives a `ServerSession` synchronously, with no socket and no clock: bytes in, and every event
 * out as a line of a log, decisions answered by `answer` as they come. A test sees exactly what
 * the session did with its input, with nothing to wait for: where a session waits, `send()` has
 * returned.
 */
export class SessionDriver {
  readonly session: ServerSession;
  /** Every event so far, as text: see {@link describe}. */
  readonly log: string[] = [];
  /** The bodies of the messages received (latin1), one per message-start. */
  readonly bodies: string[] = [];

  constructor(
    options: Partial<ServerSessionOptions> = {},
    public answer: Answerer = acceptAll,
  ) {
    this.session = new ServerSession({ hostname: 'mx.test', ...options });
    this.log.push(describe(this.session.greeting()));
  }

  /** Sends `input` (a string byte for byte, latin1) and runs; returns what it logged. */
  send(input: string | Uint8Array): string[] {
    this.session.push(typeof input === 'string' ? bytes(input) : input);
    return this.run();
  }

  /** Sends each line with CRLF, all at once (pipelined); returns what it logged. */
  lines(...lines: string[]): string[] {
    return this.send(lines.map((line) => `${line}\r\n`).join(''));
  }

  /** Sends the lines one at a time, running the session after each; returns what it logged. */
  commands(...lines: string[]): string[] {
    return lines.flatMap((line) => this.send(`${line}\r\n`));
  }

  /** Runs the session until it needs more input or an answer the answerer did not give. */
  run(): string[] {
    const from = this.log.length;
    for (let event = this.session.next(); event !== undefined; event = this.session.next()) {
      this.log.push(describe(event));
      if (event.type === 'message-start') this.bodies.push('');
      else if (event.type === 'message-data') this.bodies.push(`${this.bodies.pop()}${latin1(event.bytes)}`);
      else if (isDecision(event)) this.answer(event, this.session);
    }
    return this.log.slice(from);
  }

  /** The replies among `entries` (by default the whole log). */
  replies(entries: readonly string[] = this.log): string[] {
    return entries.filter((entry) => /^\d{3}\b/.test(entry));
  }

  /** How many `reset` events came, by reason. */
  resets(): string[] {
    return this.log.filter((entry) => entry.startsWith('reset ')).map((entry) => entry.slice(6));
  }
}

/**
 * An event as one line of text: a reply as its code and enhanced code (`250 2.1.5`), anything
 * else as its type and what tells it apart (`mail <a@example.com>`, `reset rset`).
 */
export function describe(event: ServerEvent): string {
  switch (event.type) {
    case 'reply':
      return event.reply.enhanced === undefined
        ? `${event.reply.code}`
        : `${event.reply.code} ${event.reply.enhanced}`;
    case 'helo':
      return `helo ${event.name}`;
    case 'mail':
      return `mail <${event.from?.address ?? ''}>`;
    case 'rcpt':
      return `rcpt <${event.to.address}>`;
    case 'expn':
      return `expn ${event.argument}`;
    case 'message-data':
      return `message-data ${event.bytes.length}`;
    case 'message-abort':
      return `message-abort ${event.reason.code}`;
    case 'message-end':
      return `message-end ${event.size}`;
    case 'auth':
      return `auth ${event.mechanism}${event.response === undefined ? '' : ` ${latin1(event.response)}`}`;
    case 'reset':
      return `reset ${event.reason}`;
    default:
      return event.type;
  }
}

function isDecision(event: ServerEvent): event is Decision {
  switch (event.type) {
    case 'helo':
    case 'mail':
    case 'rcpt':
    case 'expn':
    case 'message-end':
    case 'auth':
      return true;
    default:
      return false;
  }
}
