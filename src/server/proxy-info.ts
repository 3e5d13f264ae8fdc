/**
 * What a load balancer said of a connection it relayed with a PROXY header, as the hooks see it
 * (`session.proxy`).
 * @module
 */
import type { ProxyHeader, ProxySslTlv } from '../protocol/proxy-header.js';
import type { TransportInfo } from '../transport/transport.js';

/** The client's TLS connection to the proxy, from the header's `SSL` TLV. */
export interface ProxySslInfo {
  /** The TLS version, such as `TLSv1.3`. */
  readonly version: string | undefined;
  /** The cipher suite's name. */
  readonly cipher: string | undefined;
  /** The client certificate's Common Name. */
  readonly cn: string | undefined;
  /** The client certificate's signature algorithm. */
  readonly sigAlg: string | undefined;
  /** The algorithm of the client certificate's key. */
  readonly keyAlg: string | undefined;
  /** The client presented a certificate (on this connection or in its TLS session). */
  readonly certificate: boolean;
  /** It presented one and the proxy verified it. */
  readonly verified: boolean;
}

/**
 * A connection that came through a trusted proxy with a PROXY header (the `proxyProtocol`
 * option). The session's own addresses are the client's, as the header gave them (but for a
 * `LOCAL` header or one without addresses, where they stay the socket's); these are the proxy's.
 */
export interface ProxyInfo {
  /** The proxy's address: the other end of the socket. */
  readonly remoteAddress: string;
  /** The proxy's port. */
  readonly remotePort: number;
  /** This end of the socket. */
  readonly localAddress: string;
  /** This end's port. */
  readonly localPort: number;
  /** The PROXY protocol version the proxy spoke, 1 or 2. */
  readonly version: 1 | 2;
  /** The header as read: command, family, protocol, addresses and every TLV. */
  readonly header: ProxyHeader;
  /** The host name the client asked the proxy for (TLS SNI), from the `AUTHORITY` TLV. */
  readonly authority: string | undefined;
  /** The protocol the client negotiated with the proxy, from the `ALPN` TLV. */
  readonly alpn: string | undefined;
  /** The client's TLS connection to the proxy, from the `SSL` TLV. */
  readonly ssl: ProxySslInfo | undefined;
}

/** Bits of the `SSL` TLV's client field. */
const CLIENT_CERT_CONNECTION = 0x02;
const CLIENT_CERT_SESSION = 0x04;

/** The hooks' view of `header`, read on a socket with `socket`'s addresses. */
export function proxyInfo(header: ProxyHeader, socket: TransportInfo): ProxyInfo {
  let authority: string | undefined;
  let alpn: string | undefined;
  let ssl: ProxySslInfo | undefined;
  for (const tlv of header.tlvs) {
    if (tlv.type === 'AUTHORITY') authority = tlv.value;
    else if (tlv.type === 'ALPN') alpn = tlv.value;
    else if (tlv.type === 'SSL') {
      const text = (type: ProxySslTlv['type']) =>
        tlv.tlvs.find((sub): sub is Extract<ProxySslTlv, { value: string }> => sub.type === type)?.value;
      const certificate = (tlv.client & (CLIENT_CERT_CONNECTION | CLIENT_CERT_SESSION)) !== 0;
      ssl = {
        version: text('VERSION'),
        cipher: text('CIPHER'),
        cn: text('CN'),
        sigAlg: text('SIG_ALG'),
        keyAlg: text('KEY_ALG'),
        certificate,
        verified: certificate && tlv.verify === 0,
      };
    }
  }
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  return {
    remoteAddress,
    remotePort,
    localAddress,
    localPort,
    version: header.version,
    header,
    authority,
    alpn,
    ssl,
  };
}
