/**
 * The PROXY protocol (HAProxy's text, versions 1 and 2): the header a load balancer sends before
 * the client's bytes to say whom it is relaying. This file holds the header's type, the
 * incremental reader that takes it off the front of a byte stream, and the formatter; the two
 * versions' grammars are in proxy-v1.ts and proxy-v2.ts.
 * @module
 */
import { ProxyHeaderError } from './errors.js';
import { formatProxyV1, PROXY_V1_MAX_LENGTH, PROXY_V1_PREFIX, parseProxyV1 } from './proxy-v1.js';
import {
  formatProxyV2,
  PROXY_V2_FIXED_LENGTH,
  PROXY_V2_SIGNATURE,
  parseProxyV2,
  proxyV2Length,
} from './proxy-v2.js';

/** One end of a relayed TCP or UDP connection. */
export interface ProxyEndpoint {
  /** The IP address: dotted for IPv4, RFC 5952 text for IPv6 (`2001:db8::1`, `::ffff:192.0.2.1`). */
  readonly address: string;
  /** The port, 0 to 65535. */
  readonly port: number;
}

/** The addresses a header carries, by address family. */
export type ProxyAddresses =
  | {
      /** IPv4 (v1 `TCP4`, v2 `AF_INET`) or IPv6 (v1 `TCP6`, v2 `AF_INET6`). */
      readonly family: 'INET' | 'INET6';
      /** The client: where the relayed connection came from. */
      readonly source: ProxyEndpoint;
      /** Where the client connected to, at the proxy. */
      readonly destination: ProxyEndpoint;
    }
  | {
      /** Unix sockets (v2 `AF_UNIX`). */
      readonly family: 'UNIX';
      /** The client's socket path (up to 108 octets of UTF-8). */
      readonly source: string;
      /** The path it connected to. */
      readonly destination: string;
    }
  | {
      /** No addresses (v1 `UNKNOWN`, v2 `AF_UNSPEC`): use the connection's own. */
      readonly family: 'UNSPEC';
    };

/** A sub-TLV of the `SSL` TLV (version 2): what the client's TLS connection to the proxy was. */
export type ProxySslTlv =
  | {
      /** `PP2_SUBTYPE_SSL_VERSION` (`TLSv1.3`), `_CIPHER`, `_SIG_ALG` (of the client certificate) or `_KEY_ALG` (its key). */
      readonly type: 'VERSION' | 'CIPHER' | 'SIG_ALG' | 'KEY_ALG';
      /** US-ASCII text. */
      readonly value: string;
    }
  | {
      /** `PP2_SUBTYPE_SSL_CN`: the client certificate's Common Name. */
      readonly type: 'CN';
      /** UTF-8 text. */
      readonly value: string;
    }
  | {
      /** Any other sub-type, kept raw. */
      readonly type: 'OTHER';
      /** The sub-type's number. */
      readonly code: number;
      /** Its value. */
      readonly value: Uint8Array;
    };

/** A TLV (type-length-value) of a version 2 header, in the order the header carries them. */
export type ProxyTlv =
  | {
      /** `PP2_TYPE_ALPN`: the protocol the client negotiated with the proxy (`h2`, `smtp`). */
      readonly type: 'ALPN';
      /** The protocol id, one character per octet. */
      readonly value: string;
    }
  | {
      /** `PP2_TYPE_AUTHORITY`: the host name the client asked for (TLS SNI, HTTP Host). */
      readonly type: 'AUTHORITY';
      /** UTF-8 text. */
      readonly value: string;
    }
  | {
      /**
       * `PP2_TYPE_CRC32C`: the header carries a CRC32C checksum of itself. A header read with it
       * was verified; the formatter computes it.
       */
      readonly type: 'CRC32C';
    }
  | {
      /** `PP2_TYPE_NOOP`: padding, ignored. */
      readonly type: 'NOOP';
      /** The padding octets. */
      readonly value: Uint8Array;
    }
  | {
      /** `PP2_TYPE_UNIQUE_ID`: the proxy's id for the connection, at most 128 octets. */
      readonly type: 'UNIQUE_ID';
      /** The id. */
      readonly value: Uint8Array;
    }
  | {
      /** `PP2_TYPE_SSL`: the client spoke TLS to the proxy. */
      readonly type: 'SSL';
      /** Bit field: 1 the client connected over TLS, 2 it sent a certificate on this connection, 4 in its TLS session. */
      readonly client: number;
      /** 0 when the client's certificate was verified, another value otherwise. */
      readonly verify: number;
      /** What the proxy says of the TLS connection. */
      readonly tlvs: readonly ProxySslTlv[];
    }
  | {
      /** `PP2_TYPE_NETNS`: the network namespace the proxy accepted the connection in. */
      readonly type: 'NETNS';
      /** Its name, US-ASCII. */
      readonly value: string;
    }
  | {
      /** Any other type (including `PP2_TYPE_MIN_CUSTOM` and up), kept raw. */
      readonly type: 'OTHER';
      /** The type's number. */
      readonly code: number;
      /** Its value. */
      readonly value: Uint8Array;
    };

/** A PROXY protocol header, version 1 or 2. */
export interface ProxyHeader {
  /** 1 for the text form (`PROXY TCP4 ...`), 2 for the binary one. */
  readonly version: 1 | 2;
  /**
   * `PROXY`: a relayed connection, with the client's addresses. `LOCAL` (version 2 only): the proxy
   * speaks for itself (a health check), and the connection's own addresses stand.
   */
  readonly command: 'PROXY' | 'LOCAL';
  /** `STREAM` (TCP), `DGRAM` (UDP) or `UNSPEC`. Version 1 says `STREAM`, or `UNSPEC` for `UNKNOWN`. */
  readonly protocol: 'STREAM' | 'DGRAM' | 'UNSPEC';
  /** The addresses, by family. */
  readonly addresses: ProxyAddresses;
  /** The TLVs, in order (version 2 only; empty for version 1). */
  readonly tlvs: readonly ProxyTlv[];
}

/** The limits of a {@link ProxyHeaderReader}. */
export interface ProxyHeaderReaderOptions {
  /**
   * Largest version 2 header accepted, counting its addresses and TLVs (the 16 fixed octets
   * aside); a longer one is an `ETOOLONG` error. Default 4096. A version 1 header is at most 107
   * octets, as the protocol says.
   */
  maxLength?: number;
}

/** What {@link ProxyHeaderReader.push} says. */
export type ProxyHeaderRead =
  | {
      /** The header is not complete yet: push more. */
      readonly type: 'more';
    }
  | {
      /** The header is complete. */
      readonly type: 'header';
      /** The header. */
      readonly header: ProxyHeader;
      /** The octets after it in the last chunk: the start of the relayed stream (a view into that chunk). */
      readonly rest: Uint8Array;
    };

const MORE: ProxyHeaderRead = { type: 'more' };
const P = 0x50;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Takes a PROXY header (either version, told apart by the first octet) off the front of a byte
 * stream, fed as it arrives. The answer is the same however the stream is split: `more` until
 * the header is complete, then the header with the octets after it, or a
 * {@link ProxyHeaderError} thrown as soon as the octets so far cannot begin a valid header.
 * Nothing past the header is buffered: at most 107 octets (version 1) or 16 plus `maxLength`
 * (version 2) are ever kept.
 */
export class ProxyHeaderReader {
  private readonly maxLength: number;
  private version: 1 | 2 | undefined;
  private buffer = new Uint8Array(0);
  private length = 0;
  /** Octets needed before the next look: the fixed part (v2), then the whole header. */
  private wanted = 0;
  private done = false;

  constructor(options: ProxyHeaderReaderOptions = {}) {
    this.maxLength = options.maxLength ?? 4096;
  }

  /** Takes the next chunk of the stream. Throws a {@link ProxyHeaderError} for an invalid header. */
  push(chunk: Uint8Array): ProxyHeaderRead {
    if (this.done) throw new Error('ProxyHeaderReader: the header has already been read');
    try {
      const read = this.read(chunk);
      if (read.type === 'header') this.done = true;
      return read;
    } catch (error) {
      this.done = true;
      throw error;
    }
  }

  private read(chunk: Uint8Array): ProxyHeaderRead {
    if (chunk.length === 0) return MORE;
    if (this.version === undefined) this.begin(chunk[0] as number);
    return this.version === 1 ? this.readV1(chunk) : this.readV2(chunk, 0);
  }

  private begin(first: number): void {
    if (first === P) {
      this.version = 1;
      this.buffer = new Uint8Array(PROXY_V1_MAX_LENGTH);
    } else if (first === CR) {
      this.version = 2;
      this.buffer = new Uint8Array(PROXY_V2_FIXED_LENGTH);
      this.wanted = PROXY_V2_FIXED_LENGTH;
    } else throw notProxy();
  }

  private readV1(chunk: Uint8Array): ProxyHeaderRead {
    const start = this.length;
    this.take(chunk, 0, PROXY_V1_MAX_LENGTH);
    checkPrefix(this.buffer, start, this.length, PROXY_V1_PREFIX);
    const lf = this.buffer.subarray(start, this.length).indexOf(LF);
    if (lf !== -1) {
      const end = start + lf + 1;
      const header = parseProxyV1(this.buffer.subarray(0, end));
      return { type: 'header', header, rest: chunk.subarray(end - start) };
    }
    if (this.length === PROXY_V1_MAX_LENGTH) {
      throw new ProxyHeaderError('ETOOLONG', `PROXY header: no CRLF within ${PROXY_V1_MAX_LENGTH} octets`);
    }
    return MORE;
  }

  private readV2(chunk: Uint8Array, offset: number): ProxyHeaderRead {
    const start = this.length;
    const taken = this.take(chunk, offset, this.wanted);
    if (start < PROXY_V2_SIGNATURE.length) checkPrefix(this.buffer, start, this.length, PROXY_V2_SIGNATURE);
    if (this.length < this.wanted) return MORE;
    if (this.wanted === PROXY_V2_FIXED_LENGTH) {
      const length = proxyV2Length(this.buffer, this.maxLength);
      const fixed = this.buffer;
      this.wanted = PROXY_V2_FIXED_LENGTH + length;
      this.buffer = new Uint8Array(this.wanted);
      this.buffer.set(fixed);
      if (length > 0) return this.readV2(chunk, offset + taken);
    }
    return { type: 'header', header: parseProxyV2(this.buffer), rest: chunk.subarray(offset + taken) };
  }

  /** Copies octets of `chunk` from `offset` into the buffer, up to `limit` in all; how many. */
  private take(chunk: Uint8Array, offset: number, limit: number): number {
    const n = Math.min(limit - this.length, chunk.length - offset);
    this.buffer.set(chunk.subarray(offset, offset + n), this.length);
    this.length += n;
    return n;
  }
}

/** Checks the octets from `start` to `end` against a signature's (those past its end are not). */
function checkPrefix(buffer: Uint8Array, start: number, end: number, signature: Uint8Array): void {
  for (let i = start; i < end && i < signature.length; i++) {
    if (buffer[i] !== signature[i]) throw notProxy();
  }
}

function notProxy(): ProxyHeaderError {
  return new ProxyHeaderError('ENOTPROXY', 'not a PROXY protocol header');
}

/** The header as it goes on the wire. Throws a TypeError for what its version cannot carry. */
export function formatProxyHeader(header: ProxyHeader): Uint8Array {
  return header.version === 1 ? formatProxyV1(header) : formatProxyV2(header);
}
