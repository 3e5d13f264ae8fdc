/**
 * `SmtpClient` as `esmtp` exports it: the runtime-neutral client of `./client-core.ts`, plus
 * `connect(url)` over Node's sockets, the `esmtp:client:*` diagnostics channels, and this host's
 * name for EHLO.
 * @module
 */
import { connect as netConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { isDomainOrLiteral } from '../protocol/address.js';
import { EsmtpError } from '../protocol/errors.js';
import { clientChannels } from '../tracing/channels.js';
import { NodeTransport } from '../transport/node.js';
import type { Transport } from '../transport/transport.js';
import { abortError } from './client-connection.js';
import {
  type ClientRuntime,
  clientTlsOptions,
  DEFAULTS,
  SmtpClient as RuntimeNeutralClient,
  type SmtpClientOptions,
} from './client-core.js';

export type { ClientTimeouts, ClientTlsOptions, SendOptions, SmtpClientOptions } from './client-core.js';

/**
 * One connection to an SMTP, submission or LMTP server. {@link SmtpClient.connect} connects and
 * negotiates (EHLO, STARTTLS, AUTH); then `send()` any number of messages and `quit()`. Calls made
 * while one is in flight wait their turn. `await using` quits at the end of the scope.
 */
export class SmtpClient extends RuntimeNeutralClient {
  /** @internal */
  protected static override readonly runtime: ClientRuntime = { channels: clientChannels, hostname };

  /**
   * Connects to `smtp://host[:port]` (587), `smtps://host[:port]` (implicit TLS, 465) or
   * `lmtp://host:port` (24), and resolves once greeted and negotiated.
   */
  static async connect(url: string | URL, options: SmtpClientOptions = {}): Promise<SmtpClient> {
    const target = checkedTarget(url, options);
    const timeouts = { ...DEFAULTS, ...options.timeouts };
    const tlsOptions = clientTlsOptions(target.host, options.tlsOptions);
    const socket = await open(target, tlsOptions, timeouts.connect, options.signal);
    return SmtpClient.over(
      new NodeTransport(socket),
      { ...options, lmtp: target.lmtp, tlsOptions },
      target.host,
    );
  }

  /** Negotiates over a transport of your own (one end of `memoryPair()`, a socket you wrapped, ...). */
  static override over(
    transport: Transport,
    options: SmtpClientOptions & { lmtp?: boolean },
    host?: string,
  ): Promise<SmtpClient> {
    // biome-ignore lint/complexity/noThisInStatic: `super.over` makes instances of the class it is called on
    return super.over(transport, options, host);
  }
}

interface Target {
  host: string;
  port: number;
  implicitTls: boolean;
  lmtp: boolean;
}

/**
 * Where `connect()` connects to, once the URL and the options that must agree with it are checked:
 * a TypeError before any connection is made.
 */
export function checkedTarget(url: string | URL, options: SmtpClientOptions): Target {
  const target = parseUrl(url);
  if (target.implicitTls && options.tls === 'none') {
    throw new TypeError(
      "tls: 'none' contradicts an smtps: URL, which is TLS from the first byte; use smtp: for cleartext",
    );
  }
  if (options.name !== undefined && !isDomainOrLiteral(options.name)) {
    throw new TypeError(`name must be a domain or an address literal, got ${JSON.stringify(options.name)}`);
  }
  return target;
}

function parseUrl(url: string | URL): Target {
  const u = typeof url === 'string' ? new URL(url) : url;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const scheme = u.protocol.replace(/:$/, '');
  const defaults: Record<string, number> = { smtp: 587, smtps: 465, lmtp: 24 };
  const fallback = defaults[scheme];
  if (fallback === undefined)
    throw new TypeError(`unsupported URL scheme: ${u.protocol} (smtp:, smtps: or lmtp:)`);
  return {
    host,
    port: u.port === '' ? fallback : Number(u.port),
    implicitTls: scheme === 'smtps',
    lmtp: scheme === 'lmtp',
  };
}

function open(target: Target, tlsOptions: object, timeout: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = target.implicitTls
      ? tlsConnect({ host: target.host, port: target.port, ...tlsOptions })
      : netConnect({ host: target.host, port: target.port });
    const fail = (error: EsmtpError) => {
      socket.destroy();
      cleanup();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new EsmtpError('ETIMEOUT', `could not connect within ${timeout} ms`)),
      timeout,
    );
    const onAbort = () => fail(abortError(signal as AbortSignal));
    const onError = (error: Error) =>
      fail(
        new EsmtpError(
          target.implicitTls && socket.connecting === false ? 'ETLS' : 'ECONNECTION',
          error.message,
          { cause: error },
        ),
      );
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once(target.implicitTls ? 'secureConnect' : 'connect', () => {
      cleanup();
      resolve(socket);
    });
  });
}
