/**
 * The replies on their way to the client: gathered while the session answers a batch of input and
 * written at once (one write per drained input, RFC 2920's pipelining), traced, and every refusal
 * logged with its reason.
 * @module
 */
import { encodeReply, type Reply, replyText } from '../protocol/reply.js';
import { type Logger, silentLogger } from '../tracing/logger.js';
import type { WireTrace } from '../tracing/wire.js';
import type { Transport } from '../transport/transport.js';
import type { ConnectionClocks } from './clocks.js';

export class RepliesOut {
  private replies: string[] = [];

  constructor(
    private readonly transport: Transport,
    private readonly clocks: ConnectionClocks,
    private readonly trace: WireTrace,
    private readonly logger: Logger,
  ) {}

  /** Replies gathered and not yet written. */
  get pending(): boolean {
    return this.replies.length > 0;
  }

  /** Adds a reply already encoded by the session. */
  push(wire: string, reply: Reply): void {
    if (reply.code >= 400) this.refused(reply);
    this.replies.push(wire);
  }

  /** Adds a reply of the connection's own (a greeting, a refusal, a 421). */
  add(reply: Reply, enhanced: boolean): void {
    this.push(encodeReply(reply, { enhanced }), reply);
  }

  /**
   * Writes the replies gathered; a promise when the peer is slow to read. Until it takes them
   * nothing else happens on the connection, so the command deadline is not running: the write's
   * own deadline is.
   */
  flush(): Promise<void> | undefined {
    if (this.replies.length === 0) return undefined;
    const wire = this.replies.length === 1 ? (this.replies[0] as string) : this.replies.join('');
    this.replies = [];
    if (this.trace.on) this.trace.replies(wire);
    const written = this.transport.write(wire);
    return written === undefined ? undefined : this.clocks.waitForWrite(written);
  }

  /** Every refusal is logged with its reason (`esmtp serve --verbose` shows them). */
  private refused(reply: Reply): void {
    if (this.logger === silentLogger) return;
    const text = replyText(reply);
    this.logger.info({ session: this.trace.session, reply: text }, `refused: ${text}`);
  }
}
