/**
 * The Node transport: a `net.Socket` (or `tls.TLSSocket`) as a {@link Transport}.
 * @module
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Transport, TransportHandlers, TransportInfo } from './transport.js';

export class NodeTransport implements Transport {
  readonly info: TransportInfo;
  private ended = false;
  private handlers: TransportHandlers | undefined;

  constructor(private readonly socket: Socket) {
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

  start(handlers: TransportHandlers): void {
    this.handlers = handlers;
    this.socket.on('data', (chunk: Buffer) => handlers.data(chunk));
    this.socket.on('error', (error) => this.finish(error));
    this.socket.on('close', () => this.finish());
    this.socket.on('end', () => this.finish());
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  write(data: string | Uint8Array): Promise<void> {
    if (this.socket.destroyed || !this.socket.writable) return Promise.resolve();
    return new Promise((resolve) => {
      if (this.socket.write(data)) resolve();
      else {
        const done = () => {
          this.socket.off('drain', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.on('drain', done);
        this.socket.on('close', done);
      }
    });
  }

  close(): void {
    this.socket.end();
    // A peer that never closes its side must not hold the socket open.
    this.socket.setTimeout(10_000, () => this.socket.destroy());
  }

  destroy(): void {
    this.socket.destroy();
  }

  private finish(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.handlers?.end(error);
  }
}
