/**
 * The `proxyProtocol` option at work: a connection from a trusted proxy must begin with a PROXY
 * header, read here within a deadline the peer cannot extend, before the greeting and before any
 * TLS handshake. The connection then goes on as the client's (a `ProxiedTransport`).
 * @module
 */
import { ProxyHeaderError } from '../protocol/errors.js';
import { ProxyHeaderReader } from '../protocol/proxy-header.js';
import type { Logger } from '../tracing/logger.js';
import type { Transport } from '../transport/transport.js';
import type { AddressList } from './address-list.js';
import { ProxiedTransport } from './proxied-transport.js';
import { proxyInfo } from './proxy-info.js';

/** The `proxyProtocol` option, worked out. */
export interface ProxyProtocolSettings {
  readonly trusted: AddressList;
  /** Milliseconds for the whole header, from the connection's start. */
  readonly timeout: number;
}

export class ProxyIntake {
  /** Connections whose header is awaited: they hold descriptors too. */
  readonly pending = new Set<Transport>();

  /**
   * `serve` takes each connection once its header is read; `gone` hears that one awaited went
   * away without it.
   */
  constructor(
    private readonly settings: ProxyProtocolSettings,
    private readonly logger: Logger,
    private readonly serve: (transport: Transport) => void,
    private readonly gone: () => void,
  ) {}

  /** The transport is a trusted proxy's and its header is still to be read. */
  expects(transport: Transport): boolean {
    return (
      !(transport instanceof ProxiedTransport) && this.settings.trusted.includes(transport.info.remoteAddress)
    );
  }

  /** Reads the header, then serves the connection; closes it without a word if no valid header comes in time. */
  read(transport: Transport): void {
    const reader = new ProxyHeaderReader();
    const timeout = this.settings.timeout;
    let proxied: ProxiedTransport | undefined;
    let failed = false;
    const fail = (level: 'info' | 'warn', why: string) => {
      failed = true;
      clearTimeout(timer);
      const { remoteAddress, remotePort } = transport.info;
      this.logger[level]({ remoteAddress, remotePort, error: why }, 'PROXY header refused');
      transport.destroy();
    };
    const timer = setTimeout(() => fail('info', `no PROXY header within ${timeout} ms`), timeout);
    this.pending.add(transport);
    transport.start({
      data: (chunk) => {
        if (proxied !== undefined) return proxied.receive(chunk);
        if (failed) return;
        try {
          const read = reader.push(chunk);
          if (read.type === 'more') return;
          clearTimeout(timer);
          this.pending.delete(transport);
          proxied = new ProxiedTransport(transport, proxyInfo(read.header, transport.info), read.rest);
          this.serve(proxied);
        } catch (error) {
          if (!(error instanceof ProxyHeaderError)) throw error;
          fail('warn', error.message);
        }
      },
      end: (error) => {
        if (proxied !== undefined) return proxied.receiveEnd(error);
        clearTimeout(timer);
        this.pending.delete(transport);
        this.gone();
      },
    });
  }
}
