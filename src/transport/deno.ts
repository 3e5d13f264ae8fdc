/**
 * `connectDeno`: a TCP connection through Deno's own `Deno.connect` (STARTTLS with `Deno.startTls`,
 * implicit TLS with `Deno.connectTls`), as a {@link WebStreamsTransport}. Needs no Node
 * compatibility; run with `--allow-net` for the server's address.
 * @module
 */
import { type ConnectWait, withinDeadline } from './connect-deadline.js';
import { WebStreamsTransport, type WebTlsOptions } from './web-streams.js';

/** The part of a Deno connection the transport uses. */
interface DenoConn {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly localAddr: { readonly hostname?: string; readonly port?: number };
  readonly remoteAddr: { readonly hostname?: string; readonly port?: number };
  close(): void;
}

/** The part of the `Deno` namespace that `connectDeno` uses. */
interface DenoNet {
  connect(options: { hostname: string; port: number }): Promise<DenoConn>;
  connectTls(options: { hostname: string; port: number; caCerts?: string[] }): Promise<DenoConn>;
  startTls(conn: DenoConn, options: { hostname: string; caCerts?: string[] }): Promise<DenoConn>;
}

/** How {@link connectDeno} connects. */
export interface DenoConnectOptions extends ConnectWait {
  /**
   * `'starttls'` (default): a plain connection that the client can upgrade with STARTTLS;
   * `'implicit'`: TLS from the first byte (port 465); `'none'`: a connection that cannot start TLS.
   */
  tls?: 'starttls' | 'implicit' | 'none';
  /**
   * CA certificates (PEM) to trust instead of Deno's (`--cert` also sets them). The client's
   * `tlsOptions.ca`, when given, takes their place for STARTTLS.
   */
  caCerts?: string[];
}

const decoder = new TextDecoder();

/**
 * Connects to `host`:`port` with Deno's own sockets, and resolves with a transport to give
 * `SmtpClient.over`. Deno always verifies the server's certificate: `rejectUnauthorized: false`
 * fails the upgrade.
 */
export async function connectDeno(
  host: string,
  port: number,
  options: DenoConnectOptions = {},
): Promise<WebStreamsTransport> {
  const deno = (globalThis as { Deno?: DenoNet }).Deno;
  if (deno === undefined) throw new TypeError('connectDeno runs on Deno only (globalThis.Deno is missing)');
  const mode = options.tls ?? 'starttls';
  const attempt =
    mode === 'implicit'
      ? deno.connectTls({ hostname: host, port, ...caCertsOption(options.caCerts) })
      : deno.connect({ hostname: host, port });
  const plain = await withinDeadline(attempt, (conn) => conn.close(), options);
  let conn = plain;
  const startTls = async (_streams: unknown, tls: WebTlsOptions) => {
    if (tls.rejectUnauthorized === false) {
      throw new Error('Deno verifies every certificate: rejectUnauthorized: false cannot be honoured');
    }
    const caCerts = tls.ca === undefined ? options.caCerts : pems(tls.ca);
    conn = await deno.startTls(plain, { hostname: tls.servername ?? host, ...caCertsOption(caCerts) });
    // The handshake runs on the first read or write, or here, so that its failure is the upgrade's.
    await (conn as DenoConn & { handshake?(): Promise<unknown> }).handshake?.();
    return conn;
  };
  return new WebStreamsTransport(plain, {
    secure: mode === 'implicit',
    ...(mode === 'starttls' ? { startTls } : {}),
    close: () => {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    },
    info: {
      remoteAddress: plain.remoteAddr.hostname ?? '',
      remotePort: plain.remoteAddr.port ?? 0,
      localAddress: plain.localAddr.hostname ?? '',
      localPort: plain.localAddr.port ?? 0,
    },
  });
}

function caCertsOption(caCerts: string[] | undefined): { caCerts?: string[] } {
  return caCerts === undefined ? {} : { caCerts };
}

function pems(ca: NonNullable<WebTlsOptions['ca']>): string[] {
  const list = Array.isArray(ca) ? ca : [ca];
  return list.map((pem) => (typeof pem === 'string' ? pem : decoder.decode(pem)));
}
