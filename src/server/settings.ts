/**
 * `SmtpServer`'s options, checked and worked out once when the server is made: the session
 * options every connection starts from, the timeouts and limits with their defaults, the SASL
 * mechanisms and the TLS setup. Connections read these; none maps the options again.
 * @module
 */

import { type ResolvedServerOptions, resolveServerOptions } from '../session/server-options.js';
import { type Logger, silentLogger } from '../tracing/logger.js';
import { addressList } from './address-list.js';
import type { ConnectionRateLimit } from './connection-rate.js';
import type { SmtpServerOptions } from './options.js';
import type { ProxyProtocolSettings } from './proxy-intake.js';
import { offeredMechanisms } from './sasl-mechanisms.js';
import { ServerTls } from './tls.js';

export interface ServerSettings {
  /** The options as given: the hooks are read from here. */
  readonly options: SmtpServerOptions;
  readonly hostname: string;
  /**
   * The session options, resolved once for every connection: for those that may start TLS, and
   * for those that may not. What depends on the transport (`secure`) each connection gives.
   */
  readonly session: { readonly starttls: ResolvedServerOptions; readonly plain: ResolvedServerOptions };
  readonly timeouts: {
    readonly command: number;
    readonly data: number;
    readonly minDataRate: number;
    readonly hook: number;
  };
  readonly connections: number;
  readonly connectionsPerAddress: number;
  /** New connections per client and window, when limited. */
  readonly connectionRate: ConnectionRateLimit | undefined;
  /** The TLS setup, when certificates were given. */
  readonly tls: ServerTls | undefined;
  /** The proxies whose connections begin with a PROXY header, when there are any. */
  readonly proxyProtocol: ProxyProtocolSettings | undefined;
  /** Milliseconds before every AUTH failure reply. */
  readonly authFailureDelay: number;
  readonly logger: Logger;
}

export function serverSettings(options: SmtpServerOptions): ServerSettings {
  if (options.secure === true && options.tls === undefined) {
    throw new TypeError('secure: true needs tls certificates');
  }
  // The option's 0.1 name: ignored, it would quietly let MAIL through before STARTTLS.
  if ('requireTLS' in options) throw new TypeError('requireTLS is now requireTls');
  const hostname = options.hostname ?? 'localhost';
  const mechanisms = options.auth === undefined ? undefined : offeredMechanisms(options.auth);
  const session = {
    ...options,
    hostname,
    requireTls: options.requireTls ?? false,
    auth:
      options.auth === undefined || mechanisms === undefined
        ? undefined
        : {
            mechanisms,
            allowInsecure: options.allowInsecureAuth ?? false,
            required: options.requireAuth ?? false,
            ...(options.auth.maxFailures === undefined ? {} : { maxFailures: options.auth.maxFailures }),
          },
  };
  // Resolved now: a bad option throws here, not at the first connection.
  const resolved = {
    starttls: resolveServerOptions({ ...session, starttls: true }),
    plain: resolveServerOptions({ ...session, starttls: false }),
  };
  const t = options.timeouts ?? {};
  const limits = options.limits ?? {};
  return {
    options,
    hostname,
    session: resolved,
    timeouts: {
      command: t.command ?? 5 * 60_000,
      data: t.data ?? 10 * 60_000,
      minDataRate: t.minDataRate ?? 1024,
      hook: t.hook ?? 5 * 60_000,
    },
    connections: limits.connections ?? 1000,
    connectionsPerAddress: limits.connectionsPerAddress ?? 50,
    connectionRate: limits.connectionRate === undefined ? undefined : connectionRate(limits.connectionRate),
    tls: options.tls === undefined ? undefined : new ServerTls(options.tls),
    proxyProtocol: proxyProtocol(options.proxyProtocol),
    authFailureDelay: options.auth?.failureDelay ?? 1000,
    logger: options.logger ?? silentLogger,
  };
}

function proxyProtocol(options: SmtpServerOptions['proxyProtocol']): ProxyProtocolSettings | undefined {
  if (options === undefined) return undefined;
  const timeout = options.timeout ?? 5000;
  if (!(timeout > 0)) throw new TypeError('proxyProtocol.timeout must be a positive number of milliseconds');
  return { trusted: addressList(options.trusted, 'proxyProtocol.trusted'), timeout };
}

/** `limits.connectionRate`, checked: a limit that counts nothing would let every client in. */
function connectionRate(limit: ConnectionRateLimit): ConnectionRateLimit {
  const { connections, interval } = limit;
  if (!(Number.isInteger(connections) && connections > 0 && interval > 0 && Number.isFinite(interval))) {
    throw new RangeError(
      `limits.connectionRate needs a positive whole number of connections and a positive interval in ms, got ${JSON.stringify(limit)}`,
    );
  }
  return { connections, interval };
}
