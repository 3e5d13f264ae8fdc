/**
 * `SmtpServer`: listens, owns the connection limits, and runs a `Connection` for each client.
 * @module
 */

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { Replies } from '../protocol/replies.js';
import { encodeReply } from '../protocol/reply.js';
import { resolveServerOptions } from '../session/server-options.js';
import { NodeTransport } from '../transport/node.js';
import type { Transport } from '../transport/transport.js';
import { Connection, type ConnectionHost } from './connection.js';
import type { SessionInfo, SmtpServerOptions } from './options.js';
import { offeredMechanisms } from './sasl-mechanisms.js';
import { ServerTls, type ServerTlsOptions } from './tls.js';

const DEFAULT_CONNECTIONS = 1000;
const DEFAULT_CONNECTIONS_PER_ADDRESS = 50;

export interface ListenOptions {
  /** Default `127.0.0.1`: listening on every interface is a choice to make on purpose. */
  host?: string;
  /** Default 0: any free port (see `address()`). */
  port?: number;
}

/**
 * An embeddable SMTP server. Events: `error` (a hook failed with something other than an
 * SmtpError: `(error, session)`), `connection` and `close` (per connection: `(session)`).
 */
export class SmtpServer extends EventEmitter {
  readonly options: SmtpServerOptions;
  private readonly connections = new Set<Connection>();
  private readonly perAddress = new Map<string, number>();
  private readonly host: ConnectionHost;
  private server: Server | undefined;
  private readonly tls: ServerTls | undefined;
  private closing = false;

  constructor(options: SmtpServerOptions = {}) {
    super();
    if (options.secure === true && options.tls === undefined)
      throw new TypeError('secure: true needs tls certificates');
    const mechanisms = options.auth === undefined ? undefined : offeredMechanisms(options.auth);
    // Check the options now, not at the first connection.
    resolveServerOptions({
      ...options,
      hostname: options.hostname ?? 'localhost',
      auth: mechanisms === undefined ? undefined : { ...options.auth, mechanisms },
    });
    this.options = options;
    this.tls = options.tls === undefined ? undefined : new ServerTls(options.tls);
    this.host = {
      options,
      tls: this.tls,
      mechanisms,
      mockSecret: randomBytes(32),
      hookError: (error, session) => this.reportHookError(error, session),
      closed: (connection) => this.forget(connection),
    };
  }

  /** Starts listening; resolves once the port is bound. */
  listen(options: ListenOptions = {}): Promise<AddressInfo> {
    if (this.server !== undefined) return Promise.reject(new Error('SmtpServer is already listening'));
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        server.on('error', (error) => this.emit('error', error));
        resolve(server.address() as AddressInfo);
      });
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
    if (this.tls === undefined) throw new Error('updateSecureContext: the server was created without tls');
    this.tls.update(options);
  }

  /** How many connections are open. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Serves one connection on any transport (the Node listener uses this for each socket; tests and
   * other runtimes hand in their own).
   */
  handle(transport: Transport): void {
    const limits = this.options.limits ?? {};
    const address = transport.info.remoteAddress;
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (
      this.closing ||
      this.connections.size >= (limits.connections ?? DEFAULT_CONNECTIONS) ||
      fromAddress >= (limits.connectionsPerAddress ?? DEFAULT_CONNECTIONS_PER_ADDRESS)
    ) {
      const reply = this.closing ? Replies.shuttingDown : Replies.tooManyConnections;
      transport.start({ data: () => {}, end: () => {} });
      void transport.write(encodeReply(reply, { enhanced: false }));
      transport.close(); // after the pending write
      return;
    }
    const connection = new Connection(this.host, transport);
    this.connections.add(connection);
    this.perAddress.set(address, fromAddress + 1);
    this.emit('connection', connection);
    void connection.start();
  }

  /**
   * Stops accepting connections, lets transactions in progress finish, and closes idle connections
   * with 421 4.3.2. After `timeout` milliseconds (default 30 s) the rest get 421 too and are closed.
   */
  async close(options: { timeout?: number } = {}): Promise<void> {
    this.closing = true;
    const server = this.server;
    const stopped = new Promise<void>((resolve) =>
      server === undefined ? resolve() : server.close(() => resolve()),
    );
    for (const connection of this.connections) connection.shutdown(false);
    const timer = setTimeout(() => {
      for (const connection of this.connections) connection.shutdown(true);
    }, options.timeout ?? 30_000);
    await Promise.all([stopped, this.drained()]);
    clearTimeout(timer);
  }

  /** Resolves once every connection has closed. */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.connections.size > 0) return;
        this.off('close', check);
        resolve();
      };
      this.on('close', check);
      check();
    });
  }

  private accept(socket: Socket): void {
    socket.on('error', () => {}); // reported through the transport; never fatal to the process
    this.handle(new NodeTransport(socket));
  }

  private forget(connection: Connection): void {
    if (!this.connections.delete(connection)) return;
    const address = connection.remoteAddress;
    const count = (this.perAddress.get(address) ?? 1) - 1;
    if (count <= 0) this.perAddress.delete(address);
    else this.perAddress.set(address, count);
    try {
      this.options.onClose?.(connection);
    } catch (error) {
      this.reportHookError(error, connection);
    }
    this.emit('close', connection);
  }

  private reportHookError(error: unknown, session: SessionInfo): void {
    // An 'error' event without a listener would throw; a hook's failure must never end the process.
    if (this.listenerCount('error') > 0) this.emit('error', error, session);
  }
}
