/**
 * An in-process transport pair: what one end writes, the other reads, in order, asynchronously,
 * as over a socket. For tests and for driving a server or client without a network.
 * @module
 */
import type { Transport, TransportHandlers, TransportInfo } from './transport.js';

const encoder = new TextEncoder();

class MemoryTransport implements Transport {
  peer!: MemoryTransport;
  private handlers: TransportHandlers | undefined;
  private readonly queue: Uint8Array[] = [];
  private paused = false;
  private closing = false;
  private ended = false;
  private endError: Error | undefined;

  constructor(
    readonly info: TransportInfo,
    readonly secure: boolean,
  ) {}

  start(handlers: TransportHandlers): void {
    this.handlers = handlers;
    this.flush();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.flush();
  }

  write(data: string | Uint8Array): undefined {
    if (!this.closing && !this.ended) {
      // A copy, as a socket would deliver: the writer may reuse its buffer.
      this.peer.receive(typeof data === 'string' ? encoder.encode(data) : data.slice());
    }
  }

  close(): void {
    if (this.closing || this.ended) return;
    this.closing = true;
    queueMicrotask(() => {
      this.peer.receiveEnd();
      this.receiveEnd();
    });
  }

  destroy(): void {
    this.closing = true;
    this.queue.length = 0;
    this.peer.receiveEnd(new Error('connection reset by peer'));
    this.receiveEnd();
  }

  private receive(chunk: Uint8Array): void {
    if (this.ended) return;
    this.queue.push(chunk);
    queueMicrotask(() => this.flush());
  }

  private receiveEnd(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.endError = error;
    if (error !== undefined) this.queue.length = 0; // a reset loses what was not read yet
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const handlers = this.handlers;
    if (handlers === undefined) return;
    while (!this.paused && this.queue.length > 0) handlers.data(this.queue.shift() as Uint8Array);
    if (this.ended && this.queue.length === 0 && this.handlers !== undefined) {
      this.handlers = undefined;
      handlers.end(this.endError);
    }
  }
}

/** Two connected transports: `[client, server]`. */
export function memoryPair(options: { secure?: boolean } = {}): [Transport, Transport] {
  const secure = options.secure ?? false;
  const a = new MemoryTransport(
    { remoteAddress: '127.0.0.1', remotePort: 2525, localAddress: '127.0.0.1', localPort: 49152 },
    secure,
  );
  const b = new MemoryTransport(
    { remoteAddress: '127.0.0.1', remotePort: 49152, localAddress: '127.0.0.1', localPort: 2525 },
    secure,
  );
  a.peer = b;
  b.peer = a;
  return [a, b];
}
