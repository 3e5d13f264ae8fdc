/**
 * `SmtpClient`: one connection to a server, negotiated (EHLO, STARTTLS, AUTH) over a transport it
 * is given, then any number of `send()`s. Calls made while one is in flight wait their turn. It
 * uses no Node API: `esmtp/web` exports it as it is, and `esmtp` a subclass that also connects
 * with Node's sockets (`./smtp-client.ts`).
 * @module
 */
import { isDomainOrLiteral, isIPv4, isIPv6 } from '../protocol/address.js';
import type { Capabilities } from '../protocol/ehlo.js';
import { EsmtpError, SmtpError } from '../protocol/errors.js';
import type { Reply } from '../protocol/reply.js';
import type { ClientEnvelope } from '../session/client-envelope.js';
import { type ClientAuth, ClientSession, type SendResult } from '../session/client-session.js';
import { type Logger, silentLogger } from '../tracing/logger.js';
import { noChannels, type WireChannels, WireTrace } from '../tracing/wire.js';
import type { Transport } from '../transport/transport.js';
import { abortError, ClientConnection } from './client-connection.js';
import type { MessageInput } from './message-source.js';
import { command, negotiate, refused } from './negotiate.js';
import { type Progress, reset, sendMessage, withProgress } from './transaction.js';

/** How long the client waits, in milliseconds; each wait fails with `ETIMEOUT`. */
export interface ClientTimeouts {
  /** Establishing the TCP (and implicit TLS) connection. Default 30 s. */
  connect?: number;
  /** Waiting for the 220 greeting. Default 5 minutes (RFC 5321 4.5.3.2.1). */
  greeting?: number;
  /** Each command's reply. Default 5 minutes. */
  command?: number;
  /**
   * The reply after the message (RFC 5321 4.5.3.2.6), each wait for the server to take more of
   * the message (4.5.3.2.5), and each wait for a streamed message's next chunk (a stream that stalls
   * fails the send and closes the connection). Default 10 minutes.
   */
  data?: number;
}

/**
 * How the client checks the server's certificate, and the certificate it shows, if any. A transport
 * other than Node's takes what its runtime can do (see each connector).
 */
export interface ClientTlsOptions {
  /** CA certificates (PEM) to trust instead of the system's. */
  ca?: string | Uint8Array | (string | Uint8Array)[];
  /** The name to verify the certificate against. Default: the host of the URL (unless it is an IP). */
  servername?: string;
  /** Verify the server's certificate and name. Default true: turn off only for tests. */
  rejectUnauthorized?: boolean;
  /** The private key of a client certificate (PEM), for servers that ask for one. */
  key?: string | Uint8Array;
  /** The client certificate (PEM) that goes with `key`. */
  cert?: string | Uint8Array;
  /** The oldest TLS version to accept. Default `TLSv1.2`. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** How {@link SmtpClient.connect} connects, secures and authenticates. */
export interface SmtpClientOptions {
  /**
   * `'opportunistic'` (default) uses STARTTLS when offered; `'required'` fails with ETLS before
   * AUTH or MAIL when it is missing, refused or fails; `'none'` never starts TLS (and with an
   * `smtps:` URL is a TypeError: that connection is TLS from the first byte).
   */
  tls?: 'required' | 'opportunistic' | 'none';
  /** Certificate checks and a client certificate, for STARTTLS and implicit TLS alike. */
  tlsOptions?: ClientTlsOptions;
  /**
   * Authenticate after TLS: `{ username, password }` (SCRAM-SHA-256, PLAIN or LOGIN, the strongest
   * the server offers, unless `mechanism` says) or `{ username, accessToken }` (XOAUTH2), where
   * `accessToken` may be a function called for a fresh token on every connect. Without it the
   * client does not authenticate.
   */
  auth?: ClientAuth;
  /** Send credentials over cleartext. Default false: the client fails with EAUTH instead. */
  allowInsecureAuth?: boolean;
  /** The name for EHLO. Default: this host's name if fully qualified, else the local address literal. */
  name?: string;
  /** Deadlines for connecting, the greeting, each command and the message. */
  timeouts?: ClientTimeouts;
  /** Aborts connecting and negotiating (`EABORT`); each later call takes a signal of its own. */
  signal?: AbortSignal;
  /**
   * Where to log (pino's shape: `debug`, `info`, `warn`, `error`, each `(fields, message)`). At
   * `debug` every command and reply line, AUTH payloads redacted. Default: silent.
   */
  logger?: Logger;
}

/** Options of one call on an {@link SmtpClient}. */
export interface SendOptions {
  /**
   * Aborts the call with `EABORT`. A call aborted once it has started closes the connection: what
   * the server made of the half-sent commands is unknown.
   */
  signal?: AbortSignal;
}

export const DEFAULTS = { connect: 30_000, greeting: 300_000, command: 300_000, data: 600_000 };

/** What the client takes from the runtime it runs on. */
export interface ClientRuntime {
  /** Where command and reply lines are published. */
  readonly channels: WireChannels;
  /** This host's name, when the runtime can tell. */
  hostname(): string | undefined;
}

let nextId = 0;

/**
 * One connection to an SMTP, submission or LMTP server. {@link SmtpClient.over} negotiates (EHLO,
 * STARTTLS, AUTH) over a transport; then `send()` any number of messages and `quit()`. Calls made
 * while one is in flight wait their turn. `await using` quits at the end of the scope.
 */
export class SmtpClient implements AsyncDisposable {
  /**
   * What this class takes from the runtime; the Node subclass gives diagnostics channels and the
   * host's name.
   * @internal
   */
  protected static readonly runtime: ClientRuntime = { channels: noChannels, hostname: () => undefined };
  /** This connection's id in logs and on the `esmtp:client:*` channels. */
  readonly id: string;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timeouts: Required<ClientTimeouts>;

  /** @internal Made by {@link SmtpClient.over}. */
  protected constructor(
    private readonly conn: ClientConnection,
    private readonly session: ClientSession,
    options: SmtpClientOptions,
    id: string,
  ) {
    this.id = id;
    this.timeouts = { ...DEFAULTS, ...options.timeouts };
  }

  /**
   * Negotiates over a transport of your own (one end of `memoryPair()`, a `WebStreamsTransport`
   * from a connector, ...); `host` is the server's name, for certificate checks and logs.
   */
  static async over(
    transport: Transport,
    options: SmtpClientOptions & { lmtp?: boolean },
    host = 'localhost',
  ): Promise<SmtpClient> {
    if (options.name !== undefined && !isDomainOrLiteral(options.name)) {
      transport.destroy();
      throw new TypeError(`name must be a domain or an address literal, got ${JSON.stringify(options.name)}`);
    }
    const id = `c${Date.now().toString(36)}-${(nextId++).toString(36)}`;
    const logger = options.logger ?? silentLogger;
    // biome-ignore lint/complexity/noThisInStatic: the class called (esmtp's subclass, or this one) gives its runtime
    const runtime = this.runtime;
    const conn = new ClientConnection(transport, new WireTrace(id, 'client', logger, runtime.channels));
    const session = new ClientSession(transport.secure, options.lmtp ?? false);
    const client = new this(conn, session, options, id);
    const timeouts = client.timeouts;
    try {
      await negotiate(conn, session, {
        name: options.name ?? ehloName(transport, runtime.hostname()),
        tls: options.tls ?? 'opportunistic',
        tlsOptions: clientTlsOptions(host, options.tlsOptions),
        auth: options.auth,
        allowInsecureAuth: options.allowInsecureAuth ?? false,
        greetingTimeout: timeouts.greeting,
        commandTimeout: timeouts.command,
        signal: options.signal,
      });
    } catch (error) {
      conn.fail(
        error instanceof EsmtpError
          ? error
          : new EsmtpError('ECONNECTION', 'negotiation failed', { cause: error }),
      );
      logger.warn({ session: id, host, error }, `could not connect: ${(error as Error).message}`);
      throw error;
    }
    logger.info(
      { session: id, host, secure: session.secure, authenticated: session.authenticated },
      'connected',
    );
    return client;
  }

  /** What the server offers (after STARTTLS, what it offers over TLS). */
  get capabilities(): Capabilities {
    return this.session.capabilities;
  }

  /** The connection is protected by TLS (implicit TLS, or STARTTLS done). */
  get secure(): boolean {
    return this.session.secure;
  }

  /** AUTH succeeded on this connection. */
  get authenticated(): boolean {
    return this.session.authenticated;
  }

  /**
   * The connection is closed: by `quit()` or `close()`, by the server, or after a failure that
   * closes it (a 421, a timeout, an abort). Every later call fails with `ECONNECTION`.
   */
  get closed(): boolean {
    return this.conn.broken;
  }

  /**
   * Sends one message. Resolves with the accepted and refused recipients; a partial refusal is a
   * result. Throws an SmtpError when the server refuses the message, or an EsmtpError (`EENVELOPE`
   * when every recipient is refused, `EUTF8`, `ESIZE`, `EMESSAGE`, `ETIMEOUT`, `ECONNECTION`,
   * `EABORT`, ...). The envelope is checked before anything is sent. Either error says in `sent`
   * how far the message got (see {@link SendProgress}): whether sending it again is safe.
   */
  send(envelope: ClientEnvelope, message: MessageInput, options: SendOptions = {}): Promise<SendResult> {
    const progress: Progress = { sent: 'nothing' };
    return this.enqueue(options.signal, (signal) =>
      sendMessage(this.conn, this.session, envelope, message, this.transactionOptions(signal), progress),
    ).catch((error: unknown) => {
      throw withProgress(error, progress.sent);
    });
  }

  /** RSET: drops a transaction left open. */
  reset(options: SendOptions = {}): Promise<void> {
    return this.enqueue(options.signal, (signal) =>
      reset(this.conn, this.session, this.transactionOptions(signal)),
    );
  }

  /** NOOP: checks that the connection is alive. */
  noop(options: SendOptions = {}): Promise<Reply> {
    return this.enqueue(options.signal, async (signal) => {
      const reply = await command(this.conn, 'NOOP', this.timeouts.command, signal);
      if (reply.code === 421) throw refused(this.conn, reply);
      if (reply.code >= 400) throw new SmtpError(reply);
      return reply;
    });
  }

  /**
   * QUIT, waits for the 221, and closes. Resolves once the connection is closed, whatever the
   * server does (a 221, a close, silence until the command timeout), and at once when it already
   * was: `finally { await client.quit() }` never hides the error of the call before it.
   */
  quit(): Promise<void> {
    return this.inTurn(async () => {
      if (this.conn.broken) return;
      try {
        await command(this.conn, 'QUIT', this.timeouts.command);
      } catch {
        // Closed by the server, or no answer in time: the connection ends either way.
      } finally {
        this.conn.close();
      }
    });
  }

  /** Closes at once, without QUIT. */
  close(): void {
    this.conn.fail(new EsmtpError('ECONNECTION', 'the client closed the connection'));
  }

  /** `await using client = await SmtpClient.connect(...)`: QUIT when it goes out of scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.quit();
  }

  private transactionOptions(signal: AbortSignal | undefined) {
    return { commandTimeout: this.timeouts.command, dataTimeout: this.timeouts.data, signal };
  }

  /** Runs `operation` in its turn on an open connection; an abort closes the connection. */
  private enqueue<T>(
    signal: AbortSignal | undefined,
    operation: (signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    return this.inTurn(async () => {
      if (signal?.aborted) throw abortError(signal);
      if (this.conn.broken) throw this.conn.closedError();
      try {
        return await operation(signal);
      } catch (error) {
        if (signal?.aborted) {
          this.conn.fail(abortError(signal));
          throw abortError(signal);
        }
        throw error;
      }
    });
  }

  /** Runs `run` after the calls already queued, never interleaved with them. */
  private inTurn<T>(run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/** RFC 5321 4.1.1.1: a fully qualified name, else the address literal of the local end. */
function ehloName(transport: Transport, hostname: string | undefined): string {
  if (hostname?.includes('.') && !hostname.endsWith('.local')) return hostname;
  const address = transport.info.localAddress.replace(/^::ffff:/, '');
  if (address === '') return '[127.0.0.1]';
  return isIPv6(address) ? `[IPv6:${address}]` : `[${address}]`;
}

/**
 * The TLS options the transport is given: verified, TLS 1.2 at least, the name checked, or for an
 * IP address (no SNI) the address: `host` is what Node checks the certificate against when there
 * is no `servername` (it would check `localhost` on a STARTTLS socket).
 */
export function clientTlsOptions(host: string, options: ClientTlsOptions = {}): object {
  const ip = isIPv4(host) || isIPv6(host);
  return {
    minVersion: 'TLSv1.2',
    ...options,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    servername: options.servername ?? (ip ? undefined : host),
    ...(ip && options.servername === undefined ? { host } : {}),
  };
}
