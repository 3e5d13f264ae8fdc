/**
 * What the hooks see of one connection: a view over it, so that they read its addresses, TLS,
 * the client's name, the user and the transaction in progress, and keep state of their own, but
 * cannot reach the connection's machinery.
 * @module
 */
import type { ServerSession } from '../session/server-session.js';
import type { TlsDetails, Transport } from '../transport/transport.js';
import type { SessionInfo } from './options.js';
import { ProxiedTransport } from './proxied-transport.js';
import type { ProxyInfo } from './proxy-info.js';

/** What a view reads from its connection. */
export interface Viewed {
  readonly transport: Transport;
  readonly session: ServerSession;
  /** What `authenticate` returned for the user, if it returned an object. */
  readonly authData: unknown;
}

let nextId = 0;
/**
 * Drawn once per process, at the first connection (Cloudflare Workers allow no random values while
 * a module loads): the workers of `esmtp serve --workers` (or any cluster) count from zero at the
 * same moment, and their ids must still differ in the logs and Received headers.
 */
let processTag: string | undefined;

function sessionId(): string {
  processTag ??= Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
  return `${Date.now().toString(36)}-${processTag}-${(nextId++).toString(36)}`;
}

export class SessionView<State> implements SessionInfo<State> {
  readonly id = sessionId();
  state: State;
  readonly #connection: Viewed;

  constructor(connection: Viewed, state: (session: SessionInfo<State>) => State) {
    this.#connection = connection;
    this.state = undefined as State; // the factory sees the session before its state exists
    this.state = state(this);
  }

  get remoteAddress(): string {
    return this.#connection.transport.info.remoteAddress;
  }
  get remotePort(): number {
    return this.#connection.transport.info.remotePort;
  }
  get localAddress(): string {
    return this.#connection.transport.info.localAddress;
  }
  get localPort(): number {
    return this.#connection.transport.info.localPort;
  }
  get secure(): boolean {
    return this.#connection.transport.secure;
  }
  get tls(): TlsDetails | undefined {
    return this.#connection.transport.tls;
  }
  get helo(): string | undefined {
    return this.#connection.session.helo?.name;
  }
  get user(): string | undefined {
    return this.#connection.session.user;
  }
  get authData(): unknown {
    return this.#connection.session.user === undefined ? undefined : this.#connection.authData;
  }
  get envelope() {
    return this.#connection.session.envelope;
  }
  get proxy(): ProxyInfo | undefined {
    const transport = this.#connection.transport;
    return transport instanceof ProxiedTransport ? transport.proxy : undefined;
  }
}
