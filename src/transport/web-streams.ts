/**
 * The web-streams transport: a socket that speaks `ReadableStream`/`WritableStream` (Deno's
 * `Deno.connect`, Cloudflare Workers' `connect()`) as a {@link Transport}. Uses no Node API.
 * @module
 */
import type { Transport, TransportHandlers, TransportInfo } from './transport.js';

/** A socket's two directions, as web streams of bytes. */
export interface WebStreams {
  /** What the peer sends. */
  readonly readable: ReadableStream<Uint8Array>;
  /** What goes to the peer. */
  readonly writable: WritableStream<Uint8Array>;
}

/**
 * How a runtime starts TLS on a connection: given the plain streams, unlocked and with no read
 * pending, resolves with the secured ones once the handshake is done. `options` are the client's
 * TLS options (`ClientTlsOptions`, with `servername` set from the host); an upgrade takes what its
 * runtime can honour and throws for what it cannot.
 */
export type TlsUpgrade = (plain: WebStreams, options: WebTlsOptions) => Promise<WebStreams>;

/** What of the client's TLS options a {@link TlsUpgrade} may honour. */
export interface WebTlsOptions {
  /** The name the certificate must be for; none for an IP address. */
  readonly servername?: string | undefined;
  /** CA certificates (PEM) to trust instead of the runtime's. */
  readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[] | undefined;
  /** `false` asks not to verify the certificate. */
  readonly rejectUnauthorized?: boolean | undefined;
}

/** How a {@link WebStreamsTransport} is set up. */
export interface WebStreamsTransportOptions {
  /** The streams are TLS already (implicit TLS). Default false. */
  secure?: boolean;
  /** How this runtime starts TLS on the connection; without it the transport has no `startTls`. */
  startTls?: TlsUpgrade;
  /** Closes the socket at once; called by `destroy()` after the streams are cancelled. */
  close?: () => void;
  /** The addresses of the two ends, as far as the runtime tells them ('' and 0 otherwise). */
  info?: Partial<TransportInfo>;
}

/** How long `close()` waits for the peer to take the last writes and close its side. */
const CLOSE_DEADLINE = 2000;

const encoder = new TextEncoder();

/**
 * A socket given as web streams, as a {@link Transport}. It reads with a pull loop: `pause()` stops
 * pulling (a read already pending completes, and its bytes wait for `resume()`), and `startTls`
 * waits for that read to finish before it hands the unlocked streams to the runtime's upgrade,
 * because a runtime may refuse to upgrade under a pending read (workerd does). The TLS details of
 * a secured connection (`tls`) are not known: no such runtime reports them.
 */
export class WebStreamsTransport implements Transport {
  readonly info: TransportInfo;
  private streams: WebStreams;
  private reader: ReadableStreamDefaultReader<Uint8Array>;
  private writer: WritableStreamDefaultWriter<Uint8Array>;
  private handlers: TransportHandlers | undefined;
  private isSecure: boolean;
  private paused = false;
  /** The pull loop, while it runs: a read may be pending. */
  private pulling: Promise<void> | undefined;
  /** A chunk read after `pause()`, delivered on `resume()`. */
  private held: Uint8Array | undefined;
  /** The last write, so that TLS and closing start after what was written before them. */
  private written: Promise<void> = Promise.resolve();
  private closing = false;
  private ended = false;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * Starts TLS with the runtime's upgrade (a client only). Absent when the options give no
   * `startTls`: the connection cannot start TLS, and a client does not ask for it.
   */
  readonly startTls?: (options: object, server: boolean) => Promise<void>;

  constructor(
    streams: WebStreams,
    private readonly options: WebStreamsTransportOptions = {},
  ) {
    this.streams = streams;
    this.reader = streams.readable.getReader();
    this.writer = streams.writable.getWriter();
    this.isSecure = options.secure ?? false;
    const upgrade = options.startTls;
    if (upgrade !== undefined) this.startTls = (tls, server) => this.upgrade(upgrade, tls, server);
    this.info = { remoteAddress: '', remotePort: 0, localAddress: '', localPort: 0, ...options.info };
  }

  get secure(): boolean {
    return this.isSecure;
  }

  start(handlers: TransportHandlers): void {
    this.handlers = handlers;
    this.pull();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) this.deliver(held);
    this.pull();
  }

  private async upgrade(upgrade: TlsUpgrade, options: object, server: boolean): Promise<void> {
    if (server) throw new Error('a web-streams transport cannot start TLS as a server');
    this.paused = true;
    await this.pulling;
    this.held = undefined; // read in cleartext before the handshake: never delivered
    await this.written;
    this.reader.releaseLock();
    this.writer.releaseLock();
    let secured: WebStreams;
    try {
      secured = await upgrade(this.streams, options as WebTlsOptions);
    } catch (error) {
      // A failed handshake ends the connection, reported once the caller has heard why.
      this.options.close?.();
      setTimeout(() => this.finish(error as Error), 0);
      throw error;
    }
    this.streams = secured;
    this.reader = secured.readable.getReader();
    this.writer = secured.writable.getWriter();
    this.isSecure = true;
  }

  write(data: string | Uint8Array): Promise<void> | undefined {
    if (this.closing || this.ended) return undefined;
    const writer = this.writer;
    this.written = writer.write(typeof data === 'string' ? encoder.encode(data) : data).catch((error) => {
      this.finish(error as Error);
    });
    if ((writer.desiredSize ?? 1) > 0) return undefined;
    // Settles once the stream takes more, or fails (the failure is reported through `end`).
    return writer.ready.catch(() => undefined);
  }

  close(): void {
    if (this.closing || this.ended) return;
    this.closing = true;
    const writer = this.writer;
    void this.written.then(() => writer.close()).catch(() => undefined);
    // Input from here on is read and dropped (see deliver); the peer gets a fixed time to close.
    this.resume();
    this.closeTimer = setTimeout(() => this.destroy(), CLOSE_DEADLINE);
  }

  destroy(): void {
    if (this.ended) return;
    this.closing = true;
    this.reader.cancel().catch(() => undefined);
    this.writer.abort().catch(() => undefined);
    this.options.close?.();
    this.finish();
  }

  /** Starts the pull loop unless it runs, is paused or the connection is over. */
  private pull(): void {
    if (this.pulling !== undefined || this.paused || this.ended || this.handlers === undefined) return;
    this.pulling = this.loop();
  }

  private async loop(): Promise<void> {
    const reader = this.reader;
    try {
      while (!this.paused && !this.ended) {
        const { done, value } = await reader.read();
        if (done) return this.finish();
        if (this.paused) this.held = value;
        else this.deliver(value);
      }
    } catch (error) {
      if (reader === this.reader) this.finish(error as Error);
    } finally {
      this.pulling = undefined;
    }
  }

  private deliver(chunk: Uint8Array): void {
    if (!this.closing) this.handlers?.data(chunk);
  }

  private finish(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.closeTimer);
    this.handlers?.end(error);
  }
}
