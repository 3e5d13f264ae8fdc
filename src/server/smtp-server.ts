/**
 * `SmtpServer`: listens, owns the connection limits, and runs a `Connection` for each client.
 * @module
 */

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { EsmtpError } from '../protocol/errors.js';
import { Replies } from '../protocol/replies.js';
import { encodeReply } from '../protocol/reply.js';
import { connectionChannels } from '../tracing/channels.js';
import { silentLogger } from '../tracing/logger.js';
import type { ConnectionEvent } from '../tracing/wire.js';
import { NodeTransport } from '../transport/node.js';
import type { Transport } from '../transport/transport.js';
import { Connection, type ConnectionHost } from './connection.js';
import { ConnectionRate } from './connection-rate.js';
import type { DefaultState, SessionInfo, SmtpServerOptions } from './options.js';
import { ProxyIntake } from './proxy-intake.js';
import { type ServerSettings, serverSettings } from './settings.js';
import type { ServerTlsOptions } from './tls.js';

/** Why `handle()` refuses a connection: the reply, and the log line. */
const REFUSED = {
  closing: { reply: Replies.shuttingDown, why: 'refused: shutting down' },
  over: { reply: Replies.tooManyConnections, why: 'refused: too many connections' },
  rate: { reply: Replies.connectionRateExceeded, why: 'refused: connection rate' },
} as const;
type Refused = (typeof REFUSED)[keyof typeof REFUSED];

/** Where {@link SmtpServer.listen} listens. */
export interface ListenOptions {
  /** Default `127.0.0.1`: listening on every interface is a choice to make on purpose. */
  host?: string;
  /** Default 0: any free port (see `address()`). */
  port?: number;
  /**
   * A listening socket this process inherited, by its descriptor, instead of `host` and `port`:
   * systemd's socket activation hands the first one over as descriptor 3, bound by systemd to a
   * port the process itself could not bind without root.
   */
  fd?: number;
}

/** The events of `SmtpServer`, with their arguments. */
export interface SmtpServerEvents<State = DefaultState> {
  /**
   * A hook failed with something other than an `SmtpError` (the client got 451 4.3.0), or the
   * listening socket failed. Without a listener such failures go to `console.error`.
   */
  error: [error: Error, session: SessionInfo<State> | undefined];
  /** The server is listening. */
  listening: [address: AddressInfo];
  /** A client connected and is being served. */
  connection: [session: SessionInfo<State>];
  /** A client's connection is gone. */
  disconnect: [session: SessionInfo<State>];
  /** `close()` has finished: nothing listens and every connection is gone. */
  close: [];
}

/**
 * An embeddable SMTP server, typed by the state each connection keeps (`session.state`; see the
 * `state` option). Its events are listed in {@link SmtpServerEvents}.
 */
export class SmtpServer<State = DefaultState> extends EventEmitter<SmtpServerEvents<State>> {
  /** The options as given to the constructor. */
  readonly options: SmtpServerOptions<State>;
  private readonly settings: ServerSettings;
  private readonly connections = new Set<Connection<State>>();
  /** Connections refused with 421 and not yet gone: they hold descriptors too. */
  private readonly refused = new Set<Transport>();
  /** Called when the last connection is gone, while `close()` waits for that. */
  private drained: (() => void) | undefined;
  private readonly perAddress = new Map<string, number>();
  /** `limits.connectionRate`'s count, when it is set. */
  private readonly rate: ConnectionRate | undefined;
  private readonly host: ConnectionHost<State>;
  /** Reads the PROXY headers of trusted proxies' connections (the `proxyProtocol` option). */
  private readonly proxies: ProxyIntake | undefined;
  private server: Server | undefined;
  private closing = false;

  constructor(options: SmtpServerOptions<State> = {}) {
    super();
    this.options = options;
    this.settings = serverSettings(options as SmtpServerOptions);
    const rate = this.settings.connectionRate;
    this.rate = rate === undefined ? undefined : new ConnectionRate(rate);
    this.host = {
      settings: this.settings,
      mockSecret: randomBytes(32),
      hookError: (error, session) => this.reportError(error, session),
      closed: (connection) => this.forget(connection),
    };
    const proxyProtocol = this.settings.proxyProtocol;
    this.proxies =
      proxyProtocol === undefined
        ? undefined
        : new ProxyIntake(
            proxyProtocol,
            this.settings.logger,
            (transport) => this.handle(transport),
            () => this.checkDrained(),
          );
  }

  /**
   * Starts listening; resolves once the port is bound. Fails with `EUNSUPPORTED` on Cloudflare
   * Workers, whose `node:net` servers accept nothing: serve each connection there with
   * {@link SmtpServer.handle} (docs/runtimes.md).
   */
  listen(options: ListenOptions = {}): Promise<AddressInfo> {
    if (this.server !== undefined) return Promise.reject(new Error('SmtpServer is already listening'));
    if (onWorkers()) {
      return Promise.reject(
        new EsmtpError(
          'EUNSUPPORTED',
          'SmtpServer cannot listen on Cloudflare Workers: serve each connection with server.handle(transport) from a TCP handler',
        ),
      );
    }
    const { fd, host, port } = options;
    if (fd !== undefined && (host !== undefined || port !== undefined))
      return Promise.reject(
        new TypeError('listen: fd is a socket already bound: give no host or port with it'),
      );
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const listening = () => {
        server.off('error', reject);
        server.on('error', (error) => this.reportError(error, undefined));
        const address = server.address() as AddressInfo;
        this.emit('listening', address);
        resolve(address);
      };
      if (fd !== undefined) server.listen({ fd }, listening);
      else server.listen(port ?? 0, host ?? '127.0.0.1', listening);
    });
  }

  /** The bound address, once listening. */
  address(): AddressInfo | undefined {
    const address = this.server?.address();
    return address !== null && typeof address === 'object' ? address : undefined;
  }

  /**
   * Swaps the certificates without a restart: connections that start TLS from now on use the new
   * ones; those already secure keep theirs.
   */
  updateSecureContext(options: ServerTlsOptions): void {
    const tls = this.settings.tls;
    if (tls === undefined) throw new Error('updateSecureContext: the server was created without tls');
    tls.update(options);
  }

  /**
   * How many connections are open, those closing and those refused over a limit included: each
   * holds a descriptor until it is gone.
   */
  get connectionCount(): number {
    return this.connections.size + this.refused.size + (this.proxies?.pending.size ?? 0);
  }

  /**
   * Serves one connection on any transport (the Node listener uses this for each socket; tests and
   * other runtimes hand in their own: on Cloudflare Workers, which cannot listen, a TCP handler's
   * socket wrapped in a `WebStreamsTransport` from `esmtp/web`, in cleartext or behind a proxy
   * that terminates TLS). A trusted proxy's connection (`proxyProtocol`) comes back here once its
   * PROXY header is read, with the client's address as `transport.info`.
   */
  handle(transport: Transport): void {
    if (this.proxies?.expects(transport)) return this.proxies.read(transport);
    const address = transport.info.remoteAddress;
    const fromAddress = this.perAddress.get(address) ?? 0;
    const refusal = this.refusal(address, fromAddress);
    this.perAddress.set(address, fromAddress + 1);
    if (refusal !== undefined) {
      const logger = this.settings.logger;
      if (logger !== silentLogger) {
        logger.info({ remoteAddress: address, remotePort: transport.info.remotePort }, refusal.why);
      }
      this.refused.add(transport);
      transport.start({
        data: () => {},
        end: () => {
          this.refused.delete(transport);
          this.leave(address);
        },
      });
      void transport.write(encodeReply(refusal.reply, { enhanced: false }));
      transport.close(); // after the pending write, within the transport's closing deadline
      return;
    }
    const connection = new Connection(this.host, transport);
    this.connections.add(connection);
    const session = connection.view;
    this.announce(session, 'connect');
    this.emit('connection', session);
    void connection.start();
  }

  /**
   * Stops accepting connections, lets transactions in progress finish, and closes idle connections
   * with 421 4.3.2. Near the end of `timeout` milliseconds (default 30 s) the rest get 421 too; at
   * the timeout whatever is still open, a client that never closes its side included, is destroyed,
   * so the promise settles by then.
   */
  async close(options: { timeout?: number } = {}): Promise<void> {
    this.closing = true;
    const server = this.server;
    const stopped = new Promise<void>((resolve) =>
      server === undefined ? resolve() : server.close(() => resolve()),
    );
    for (const connection of this.connections) connection.shutdown(false);
    const timeout = options.timeout ?? 30_000;
    // The last tenth of the timeout (at most a second) lets the clients take their 421 and close.
    const grace = Math.min(1000, timeout / 10);
    const force = setTimeout(() => {
      for (const connection of this.connections) connection.shutdown(true);
    }, timeout - grace);
    const kill = setTimeout(() => {
      for (const connection of this.connections) connection.destroy();
      for (const transport of this.refused) transport.destroy();
      for (const transport of this.proxies?.pending ?? []) transport.destroy();
    }, timeout);
    const drained = new Promise<void>((resolve) => {
      this.drained = resolve;
    });
    this.checkDrained();
    await Promise.all([stopped, drained]);
    clearTimeout(force);
    clearTimeout(kill);
    this.emit('close');
  }

  /** Why a new connection from `address` is refused, if it is. */
  private refusal(address: string, fromAddress: number): Refused | undefined {
    const tooOften = this.rate?.admit(address) === false; // every attempt counts, as with anvil
    if (this.closing) return REFUSED.closing;
    const { connections, connectionsPerAddress } = this.settings;
    if (this.connectionCount >= connections || fromAddress >= connectionsPerAddress) return REFUSED.over;
    return tooOften ? REFUSED.rate : undefined;
  }

  private accept(socket: Socket): void {
    socket.on('error', () => {}); // reported through the transport; never fatal to the process
    this.handle(new NodeTransport(socket));
  }

  private forget(connection: Connection<State>): void {
    if (!this.connections.delete(connection)) return;
    const session = connection.view;
    this.leave(session.remoteAddress);
    this.announce(session, 'disconnect');
    try {
      this.options.onClose?.(session);
    } catch (error) {
      this.reportError(error, session);
    }
    this.emit('disconnect', session);
  }

  /** Logs a connection that came or went, and publishes it; nothing is built when nobody listens. */
  private announce(session: SessionInfo<State>, what: 'connect' | 'disconnect'): void {
    const logger = this.settings.logger;
    const channel = what === 'connect' ? connectionChannels.connect : connectionChannels.close;
    if (logger === silentLogger && !channel.hasSubscribers) return;
    const event: ConnectionEvent = {
      session: session.id,
      remoteAddress: session.remoteAddress,
      remotePort: session.remotePort,
    };
    logger.info(event, what);
    if (channel.hasSubscribers) channel.publish(event);
  }

  /** A connection from `address` is gone. */
  private leave(address: string): void {
    const count = (this.perAddress.get(address) ?? 1) - 1;
    if (count <= 0) this.perAddress.delete(address);
    else this.perAddress.set(address, count);
    this.checkDrained();
  }

  /** While `close()` waits: it is over once every connection is gone. */
  private checkDrained(): void {
    if (this.connectionCount === 0) this.drained?.();
  }

  /**
   * An 'error' event without a listener would throw, and a hook's failure must never end the
   * process; but it must not go unseen either (the client only got 451), so without a listener it
   * goes to the logger, or with none to the console, once, with the session's id.
   */
  private reportError(thrown: unknown, session: SessionInfo<State> | undefined): void {
    // Hooks may throw anything; listeners get an Error.
    const error = thrown instanceof Error ? thrown : new Error(String(thrown), { cause: thrown });
    const logger = this.settings.logger;
    if (this.listenerCount('error') > 0) this.emit('error', error, session);
    else if (logger !== silentLogger) logger.error({ session: session?.id, error }, error.message);
    else console.error(`esmtp: ${session === undefined ? 'server' : `session ${session.id}`}:`, error);
  }
}

/** The runtime is workerd (Cloudflare Workers), which says so in `navigator.userAgent`. */
function onWorkers(): boolean {
  return (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === 'Cloudflare-Workers';
}
