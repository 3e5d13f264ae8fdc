/**
 * The Node transport: a `net.Socket` (or `tls.TLSSocket`) as a {@link Transport}.
 * @module
 */
import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { type ConnectionOptions, TLSSocket, type TLSSocketOptions, connect as tlsConnect } from 'node:tls';
import type { TlsDetails, Transport, TransportHandlers, TransportInfo } from './transport.js';
import { releaseNow, TurnWrites } from './turn-writes.js';

/** How long `close()` waits for the peer to take the last writes and close its side. */
const CLOSE_DEADLINE = 2000;

/**
 * A Node `net.Socket` (or `tls.TLSSocket`) as a {@link Transport}: what `SmtpServer` and
 * `SmtpClient.connect` use. Wrap a socket of your own to hand it to `SmtpClient.over`.
 */
export class NodeTransport implements Transport {
  readonly info: TransportInfo;
  private ended = false;
  private handlers: TransportHandlers | undefined;
  private readonly turnWrites = new TurnWrites();
  /** As a TLS server: the CAs that client certificates are checked against. */
  private serverTrust: X509Certificate[] | undefined;

  constructor(private socket: Socket) {
    this.info = {
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
    };
    socket.setNoDelay(true);
  }

  get secure(): boolean {
    return this.socket instanceof TLSSocket && this.socket.encrypted;
  }

  get tls(): TlsDetails | undefined {
    const socket = this.socket;
    if (!(socket instanceof TLSSocket) || !socket.encrypted) return undefined;
    const peer = socket.getPeerCertificate();
    const verdict =
      this.serverTrust === undefined ? clientVerdict(socket) : serverVerdict(socket, this.serverTrust);
    return {
      protocol: socket.getProtocol(),
      cipher: socket.getCipher()?.name ?? '',
      ...verdict,
      peerCertificate:
        peer !== null && Object.keys(peer).length > 0
          ? { subject: { ...peer.subject }, fingerprint256: peer.fingerprint256 }
          : undefined,
    };
  }

  start(handlers: TransportHandlers): void {
    this.handlers = handlers;
    this.listen(this.socket);
  }

  async startTls(options: object, server: boolean): Promise<void> {
    if (server) this.serverTrust = trustedCertificates((options as TLSSocketOptions).ca);
    const plain = this.socket;
    releaseNow(plain); // the last reply in clear text goes before the handshake
    // From here on only the TLS socket speaks for the connection. Bun closes the plain socket as it
    // hands it over, before a refused handshake says why: heard there, that close would hide ETLS.
    this.unlisten(plain);
    // A server wraps the socket and waits for the client's hello; a client starts the handshake.
    const secure = server
      ? new TLSSocket(plain, { ...(options as TLSSocketOptions), isServer: true })
      : tlsConnect({ ...(options as ConnectionOptions), socket: plain });
    this.socket = secure;
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (error?: Error) =>
          reject(error ?? new Error('connection closed during the TLS handshake'));
        secure.once(server ? 'secure' : 'secureConnect', () => {
          secure.off('error', fail);
          secure.off('close', fail);
          resolve();
        });
        secure.once('error', fail);
        secure.once('close', fail);
      });
    } catch (error) {
      // A failed handshake ends the connection. Its end is reported once the caller has heard why,
      // so that the reason it reports (ETLS) is not taken for a plain close.
      secure.destroy();
      setImmediate(() => this.finish(error as Error));
      throw error;
    }
    secure.setNoDelay(true);
    this.listen(secure);
  }

  unshift(chunk: Uint8Array): void {
    // A TLS socket made over this one reads what its buffer holds before anything new.
    this.socket.unshift(chunk);
  }

  private listen(socket: Socket): void {
    const handlers = this.handlers as TransportHandlers;
    socket.on('data', (chunk: Buffer) => handlers.data(chunk));
    socket.on('error', this.failed);
    socket.on('close', this.closed);
    socket.on('end', this.closed);
  }

  /** Stops hearing `socket`. The TLS socket that wraps it forwards its errors, so none goes unheard. */
  private unlisten(socket: Socket): void {
    socket.removeAllListeners('data');
    socket.off('error', this.failed);
    socket.off('close', this.closed);
    socket.off('end', this.closed);
  }

  private readonly failed = (error: Error) => this.finish(error);
  private readonly closed = () => this.finish();

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Writes leave at the end of the event loop's turn, with every other socket's (turn-writes.ts). */
  write(data: string | Uint8Array): Promise<void> | undefined {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return undefined;
    this.turnWrites.hold(socket);
    if (socket.write(data)) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  close(): void {
    const socket = this.socket;
    socket.end(); // and the writes held go first
    // A closing socket still holds a descriptor: the peer gets a fixed time to take the last
    // writes and close its side, and nothing it sends meanwhile extends it (an idle timer would).
    const deadline = setTimeout(() => socket.destroy(), CLOSE_DEADLINE);
    deadline.unref();
    socket.once('close', () => clearTimeout(deadline));
    // Input may be paused; the peer's FIN is heard only if the socket reads.
    socket.resume();
  }

  destroy(): void {
    releaseNow(this.socket); // what was written before still leaves, as far as the socket takes it
    this.socket.destroy();
  }

  private finish(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.handlers?.end(error);
  }
}

type Verdict = Pick<TlsDetails, 'authorized' | 'authorizationError'>;

function clientVerdict(socket: TLSSocket): Verdict {
  const error = socket.authorizationError;
  return { authorized: socket.authorized, authorizationError: error == null ? undefined : String(error) };
}

/**
 * Node computes `authorized` only for sockets its own tls.Server accepted, not for a socket
 * upgraded in place (STARTTLS). So the server checks a client certificate itself: issued and signed
 * by one of the CAs it trusts, and within its dates. Intermediate CAs are not followed.
 */
function serverVerdict(socket: TLSSocket, trusted: readonly X509Certificate[]): Verdict {
  const peer = socket.getPeerX509Certificate();
  if (peer === undefined) return { authorized: false, authorizationError: undefined };
  const now = Date.now();
  if (now < Date.parse(peer.validFrom) || now > Date.parse(peer.validTo)) {
    return { authorized: false, authorizationError: 'CERT_NOT_VALID_NOW' };
  }
  const issuer = trusted.find((ca) => peer.checkIssued(ca) && peer.verify(ca.publicKey));
  return issuer === undefined
    ? { authorized: false, authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }
    : { authorized: true, authorizationError: undefined };
}

function trustedCertificates(ca: TLSSocketOptions['ca']): X509Certificate[] {
  if (ca === undefined) return [];
  const list = Array.isArray(ca) ? ca : [ca];
  const out: X509Certificate[] = [];
  for (const item of list) {
    const pems = String(item).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    for (const pem of pems) out.push(new X509Certificate(pem));
  }
  return out;
}
