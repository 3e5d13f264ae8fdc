/**
 * `connectCloudflare`: a TCP connection through Cloudflare Workers' `connect()` (from
 * `cloudflare:sockets`, which the Worker imports and passes in: this module imports nothing of
 * the runtime, so that it builds everywhere), as a {@link WebStreamsTransport}. Needs no
 * `nodejs_compat`.
 * @module
 */
import { type ConnectWait, withinDeadline } from './connect-deadline.js';
import { WebStreamsTransport, type WebTlsOptions } from './web-streams.js';

/** The part of a Workers socket that the transport uses. */
export interface CloudflareSocket {
  /** What the peer sends. */
  readonly readable: ReadableStream<Uint8Array>;
  /** What goes to the peer. */
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves once connected, with the addresses where the runtime tells them. */
  readonly opened: Promise<CloudflareSocketInfo>;
  /** Closes the socket. */
  close(): Promise<void>;
  /** Upgrades a socket opened with `secureTransport: 'starttls'`; the plain socket is unusable after. */
  startTls(options?: { expectedServerHostname?: string }): CloudflareSocket;
}

/** What a Workers socket's `opened` resolves with. */
export interface CloudflareSocketInfo {
  /** The peer's address, where the runtime tells it. */
  readonly remoteAddress?: string | undefined;
  /** This end's address, where the runtime tells it. */
  readonly localAddress?: string | undefined;
}

/** `connect` from `cloudflare:sockets`, as far as {@link connectCloudflare} calls it. */
export type CloudflareConnect = (
  address: { hostname: string; port: number },
  options: { secureTransport: 'off' | 'on' | 'starttls'; allowHalfOpen: boolean },
) => CloudflareSocket;

/** How {@link connectCloudflare} connects. */
export interface CloudflareConnectOptions extends ConnectWait {
  /**
   * `'starttls'` (default): a plain connection that the client can upgrade with STARTTLS; `'on'`:
   * TLS from the first byte (port 465); `'off'`: a connection that cannot start TLS.
   */
  secureTransport?: 'starttls' | 'on' | 'off';
}

/**
 * Connects to `address` with `connect` from `cloudflare:sockets`, and resolves with a transport
 * to give `SmtpClient.over`. Workers trust the runtime's CA store only and always verify: the
 * client's `tlsOptions.ca` and `rejectUnauthorized: false` fail the upgrade.
 */
export async function connectCloudflare(
  connect: CloudflareConnect,
  address: { hostname: string; port: number },
  options: CloudflareConnectOptions = {},
): Promise<WebStreamsTransport> {
  const secureTransport = options.secureTransport ?? 'starttls';
  const plain = connect(address, { secureTransport, allowHalfOpen: false });
  const opened = await withinDeadline(
    plain.opened.then((info) => ({ socket: plain, info })),
    () => void plain.close().catch(() => undefined),
    options,
  ).catch((error) => {
    void plain.close().catch(() => undefined);
    throw error;
  });
  let socket = plain;
  const startTls = async (_streams: unknown, tls: WebTlsOptions) => {
    if (tls.ca !== undefined || tls.rejectUnauthorized === false) {
      throw new Error(
        "Workers verify with the runtime's CA store only: tlsOptions.ca and rejectUnauthorized cannot be honoured",
      );
    }
    socket = plain.startTls(tls.servername === undefined ? {} : { expectedServerHostname: tls.servername });
    await socket.opened;
    return socket;
  };
  return new WebStreamsTransport(plain, {
    secure: secureTransport === 'on',
    ...(secureTransport === 'starttls' ? { startTls } : {}),
    close: () => void socket.close().catch(() => undefined),
    info: {
      remoteAddress: opened.info.remoteAddress ?? '',
      localAddress: opened.info.localAddress ?? '',
    },
  });
}
