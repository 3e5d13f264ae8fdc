/**
 * The PROXY protocol's version 1, a line of text:
 * `PROXY TCP4|TCP6 <source> <destination> <source port> <destination port>` CRLF, or
 * `PROXY UNKNOWN` and anything up to the CRLF. At most 107 octets, CRLF included.
 * @module
 */
import { ProxyHeaderError } from './errors.js';
import { formatIPv4, formatIPv6, ipv4Bytes, ipv6Bytes } from './ip-text.js';
import type { ProxyEndpoint, ProxyHeader } from './proxy-header.js';

/** The longest version 1 header, CRLF included. */
export const PROXY_V1_MAX_LENGTH = 107;
/** What every version 1 header begins with. */
export const PROXY_V1_PREFIX = new Uint8Array([0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]); // 'PROXY '

const PORT = /^(0|[1-9]\d{0,4})$/;
const latin1 = new TextDecoder('latin1');
const encoder = new TextEncoder();

/** Parses a whole version 1 line, through its LF. */
export function parseProxyV1(line: Uint8Array): ProxyHeader {
  if (line.length < 2 || line[line.length - 2] !== 0x0d) throw malformed('the line does not end in CRLF');
  const text = latin1.decode(line.subarray(0, line.length - 2));
  // UNKNOWN: the receiver ignores whatever follows, up to the CRLF.
  if (text === 'PROXY UNKNOWN' || text.startsWith('PROXY UNKNOWN ')) {
    return { version: 1, command: 'PROXY', protocol: 'UNSPEC', addresses: { family: 'UNSPEC' }, tlvs: [] };
  }
  const fields = text.split(' ');
  if (fields.length !== 6) throw malformed('it needs six fields separated by single spaces');
  const [, protocol, source, destination, sourcePort, destinationPort] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (protocol !== 'TCP4' && protocol !== 'TCP6')
    throw malformed(`unknown protocol ${JSON.stringify(protocol)}`);
  const family = protocol === 'TCP4' ? 'INET' : 'INET6';
  return {
    version: 1,
    command: 'PROXY',
    protocol: 'STREAM',
    addresses: {
      family,
      source: endpoint(family, source, sourcePort),
      destination: endpoint(family, destination, destinationPort),
    },
    tlvs: [],
  };
}

function endpoint(family: 'INET' | 'INET6', address: string, port: string): ProxyEndpoint {
  const octets = family === 'INET' ? ipv4Bytes(address) : ipv6Bytes(address);
  if (octets === undefined)
    throw malformed(`${JSON.stringify(address)} is not an ${family === 'INET' ? 'IPv4' : 'IPv6'} address`);
  const number = Number(port);
  if (!PORT.test(port) || number > 65535) throw malformed(`${JSON.stringify(port)} is not a port`);
  return { address: family === 'INET' ? formatIPv4(octets) : formatIPv6(octets), port: number };
}

function malformed(why: string): ProxyHeaderError {
  return new ProxyHeaderError('EMALFORMED', `PROXY header (version 1): ${why}`);
}

/** The version 1 line for `header`. Throws a TypeError for what version 1 cannot say. */
export function formatProxyV1(header: ProxyHeader): Uint8Array {
  const { addresses } = header;
  if (header.command !== 'PROXY') throw new TypeError('PROXY version 1 has no LOCAL command');
  if (header.tlvs.length > 0) throw new TypeError('PROXY version 1 carries no TLVs');
  if (addresses.family === 'UNSPEC') return encoder.encode('PROXY UNKNOWN\r\n');
  if (addresses.family === 'UNIX') throw new TypeError('PROXY version 1 carries no Unix socket paths');
  if (header.protocol !== 'STREAM') throw new TypeError('PROXY version 1 speaks of TCP only');
  const { source, destination } = addresses;
  const text = (end: ProxyEndpoint) => {
    const octets = addresses.family === 'INET' ? ipv4Bytes(end.address) : ipv6Bytes(end.address);
    if (octets === undefined)
      throw new TypeError(
        `PROXY header: ${JSON.stringify(end.address)} is not an ${addresses.family} address`,
      );
    checkPort(end.port);
    return addresses.family === 'INET' ? formatIPv4(octets) : formatIPv6(octets);
  };
  const protocol = addresses.family === 'INET' ? 'TCP4' : 'TCP6';
  return encoder.encode(
    `PROXY ${protocol} ${text(source)} ${text(destination)} ${source.port} ${destination.port}\r\n`,
  );
}

/** A port is an integer from 0 to 65535; a TypeError otherwise. */
export function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`PROXY header: ${port} is not a port`);
  }
}
