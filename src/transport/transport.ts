/**
 * The one interface between esmtp's protocol drivers and the network: a duplex byte connection.
 * Implementations: `NodeTransport` (net/tls sockets), `memoryPair()` (tests, in-process).
 * @module
 */

/** Addresses of a connection's two ends. */
export interface TransportInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
}

/** What a transport reports to its reader. */
export interface TransportHandlers {
  /** Bytes received. The reader may keep the chunk: the transport does not reuse it. */
  data(chunk: Uint8Array): void;
  /** The connection ended: closed by the peer (no error) or failed. Called once. */
  end(error?: Error): void;
}

/** What a TLS connection reports. */
export interface TlsDetails {
  /** Such as `TLSv1.3`. */
  readonly protocol: string | null;
  readonly cipher: string;
  /** The peer's certificate was verified. */
  readonly authorized: boolean;
  readonly authorizationError?: string | undefined;
  /** The peer's certificate, when it sent one (a client certificate, on the server side). */
  readonly peerCertificate?:
    | { readonly subject: Record<string, unknown>; readonly fingerprint256: string }
    | undefined;
}

export interface Transport {
  readonly info: TransportInfo;
  /** The bytes are protected by TLS. */
  readonly secure: boolean;
  /** TLS details, once secure. */
  readonly tls?: TlsDetails | undefined;
  /**
   * Starts TLS on this connection (STARTTLS, or implicit TLS right after accepting), as a server
   * when `server` is true; resolves once the handshake is done. `options` are the runtime's own
   * (Node: `tls.TLSSocket` options). Input must be paused and everything read before discarded.
   */
  startTls?(options: object, server: boolean): Promise<void>;
  /** Starts delivering input to `handlers`. Called once. */
  start(handlers: TransportHandlers): void;
  /** Stops delivering input until `resume()`; the peer is slowed down by TCP flow control. */
  pause(): void;
  resume(): void;
  /**
   * Writes bytes. Returns undefined when more may be written at once, or a promise that settles
   * once the peer has caught up (no promise on the hot path: most writes are taken at once).
   */
  write(data: string | Uint8Array): Promise<void> | undefined;
  /**
   * Closes after the pending writes. Input from then on is read and dropped, and a peer that does
   * not close its side soon (the Node transport: 2 seconds, whatever it sends) is cut off.
   */
  close(): void;
  /** Closes at once, dropping pending writes. */
  destroy(): void;
}
