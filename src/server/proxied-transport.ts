/**
 * A connection relayed by a proxy, as the client's: a transport over the proxy's, whose addresses
 * are those the PROXY header gave, and which delivers first what came after the header.
 * @module
 */
import type { TlsDetails, Transport, TransportHandlers, TransportInfo } from '../transport/transport.js';
import type { ProxyInfo } from './proxy-info.js';

export class ProxiedTransport implements Transport {
  /** The client's addresses (the socket's, for a `LOCAL` header or one without addresses). */
  readonly info: TransportInfo;
  /** Absent when the proxy's transport cannot start TLS either. */
  readonly startTls: ((options: object, server: boolean) => Promise<void>) | undefined;
  private handlers: TransportHandlers | undefined;
  /** Input not yet delivered: what followed the header, then what arrives while paused. */
  private readonly waiting: Uint8Array[] = [];
  private paused = false;
  /** The proxy's transport has ended; its end is told once the input waiting is delivered. */
  private ending: { error: Error | undefined } | undefined;
  private told = false;

  /** `rest`: the octets that came after the header. Feed the rest through `receive()` and `receiveEnd()`. */
  constructor(
    private readonly inner: Transport,
    /** What the proxy said. */
    readonly proxy: ProxyInfo,
    rest: Uint8Array,
  ) {
    const { command, addresses } = proxy.header;
    this.info =
      command === 'PROXY' && (addresses.family === 'INET' || addresses.family === 'INET6')
        ? {
            remoteAddress: addresses.source.address,
            remotePort: addresses.source.port,
            localAddress: addresses.destination.address,
            localPort: addresses.destination.port,
          }
        : inner.info;
    if (rest.length > 0) this.waiting.push(rest);
    this.startTls =
      inner.startTls === undefined ? undefined : (options, server) => this.upgrade(options, server);
  }

  get secure(): boolean {
    return this.inner.secure;
  }

  get tls(): TlsDetails | undefined {
    return this.inner.tls;
  }

  start(handlers: TransportHandlers): void {
    this.handlers = handlers;
    // Later, as a socket would: the reader may pause first (and start TLS on these octets).
    queueMicrotask(() => this.flush());
  }

  /** Input from the proxy's transport. */
  receive(chunk: Uint8Array): void {
    if (this.waiting.length === 0 && !this.paused && this.handlers !== undefined) this.handlers.data(chunk);
    else {
      this.waiting.push(chunk);
      this.flush();
    }
  }

  /** The proxy's transport has ended. */
  receiveEnd(error?: Error): void {
    if (this.ending !== undefined) return;
    this.ending = { error };
    if (error !== undefined) this.waiting.length = 0; // a reset loses what was not read yet
    this.flush();
  }

  pause(): void {
    this.paused = true;
    this.inner.pause();
  }

  resume(): void {
    this.paused = false;
    this.inner.resume();
    this.flush();
  }

  write(data: string | Uint8Array): Promise<void> | undefined {
    return this.inner.write(data);
  }

  close(): void {
    // Input from now on is dropped, and the end is heard even while paused.
    this.waiting.length = 0;
    this.paused = false;
    this.inner.close();
    this.flush();
  }

  destroy(): void {
    this.waiting.length = 0;
    this.inner.destroy();
  }

  /**
   * TLS starts on the octets not yet delivered (with implicit TLS, the ClientHello that came
   * with the header): they go back to the proxy's transport first, for its TLS layer to read.
   */
  private upgrade(options: object, server: boolean): Promise<void> {
    const inner = this.inner;
    const unread = this.waiting.splice(0);
    if (unread.length > 0) {
      if (inner.unshift === undefined) {
        return Promise.reject(new Error('the transport cannot hand back the octets after the PROXY header'));
      }
      for (const chunk of unread.reverse()) inner.unshift(chunk);
    }
    return (inner.startTls as NonNullable<Transport['startTls']>).call(inner, options, server);
  }

  private flush(): void {
    const handlers = this.handlers;
    if (handlers === undefined) return;
    while (!this.paused && this.waiting.length > 0) handlers.data(this.waiting.shift() as Uint8Array);
    if (this.ending !== undefined && this.waiting.length === 0 && !this.told) {
      this.told = true;
      handlers.end(this.ending.error);
    }
  }
}
