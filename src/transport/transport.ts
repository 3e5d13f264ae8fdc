/**
 * The one interface between esmtp's protocol drivers and the network: a duplex byte connection.
 * Implementations: `NodeTransport` (net/tls sockets), `memoryPair()` (tests, in-process),
 * `WebStreamsTransport` (sockets given as web streams: Deno, Cloudflare Workers).
 * @module
 */

/** Addresses of a connection's two ends. */
export interface TransportInfo {
  /** The peer's IP address ('' when the runtime does not say, as for a memory pair). */
  readonly remoteAddress: string;
  /** The peer's port (0 when the runtime does not say). */
  readonly remotePort: number;
  /** This end's IP address ('' when the runtime does not say). */
  readonly localAddress: string;
  /** This end's port (0 when the runtime does not say). */
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
  /** The cipher suite's name, such as `TLS_AES_256_GCM_SHA384`. */
  readonly cipher: string;
  /** The peer's certificate was verified. */
  readonly authorized: boolean;
  /** Why the peer's certificate was not verified (`CERT_HAS_EXPIRED`, ...), when it was not. */
  readonly authorizationError?: string | undefined;
  /** The peer's certificate, when it sent one (a client certificate, on the server side). */
  readonly peerCertificate?:
    | {
        /** The certificate's subject fields, such as `CN` and `O`. */
        readonly subject: Record<string, unknown>;
        /** The SHA-256 fingerprint, colon-separated hex: a stable key to pin or look up. */
        readonly fingerprint256: string;
      }
    | undefined;
}

/**
 * A duplex byte connection that can be upgraded to TLS in place (STARTTLS). `SmtpServer` and
 * `SmtpClient` speak over one; write your own to run them over something other than Node's
 * sockets.
 */
export interface Transport {
  /** The addresses of the two ends. */
  readonly info: TransportInfo;
  /** The bytes are protected by TLS. */
  readonly secure: boolean;
  /** TLS details, once secure. */
  readonly tls?: TlsDetails | undefined;
  /**
   * Starts TLS on this connection (STARTTLS, or implicit TLS right after accepting), as a server
   * when `server` is true; resolves once the handshake is done. `options` are the runtime's own
   * (Node: `tls.TLSSocket` options; web streams: the client's TLS options). Input must be paused
   * and everything read before discarded. A transport over a pulled stream waits here for the read
   * in flight: a reader that pauses as soon as the last reply before TLS has arrived leaves none.
   */
  startTls?(options: object, server: boolean): Promise<void>;
  /**
   * Puts octets already delivered back in front of the input, for `startTls()` to read them: the
   * ClientHello that came in one read with a PROXY header. Optional: without it, such octets
   * cannot be handed to TLS.
   */
  unshift?(chunk: Uint8Array): void;
  /** Starts delivering input to `handlers`. Called once. */
  start(handlers: TransportHandlers): void;
  /**
   * Stops delivering input until `resume()`; the peer is slowed down by TCP flow control. Called
   * from the `data` handler, it takes effect before the next chunk: a pulled stream then starts
   * no further read.
   */
  pause(): void;
  /** Delivers input again after `pause()`. */
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
