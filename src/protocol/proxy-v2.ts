/**
 * The PROXY protocol's version 2, binary: a 12-octet signature, version and command, family and
 * protocol, a 16-bit length, then the addresses and the TLVs (proxy-tlv.ts).
 * @module
 */
import { crc32c } from './crc32c.js';
import { ProxyHeaderError } from './errors.js';
import { formatIPv4, formatIPv6, ipv4Bytes, ipv6Bytes } from './ip-text.js';
import type { ProxyAddresses, ProxyEndpoint, ProxyHeader } from './proxy-header.js';
import { formatTlvs, parseTlvs } from './proxy-tlv.js';
import { checkPort } from './proxy-v1.js';

/** What every version 2 header begins with: `\r\n\r\n\0\r\nQUIT\n`. */
export const PROXY_V2_SIGNATURE = new Uint8Array([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
/** The signature, version and command, family and protocol, and length. */
export const PROXY_V2_FIXED_LENGTH = 16;

const COMMANDS = ['LOCAL', 'PROXY'] as const;
const FAMILIES = ['UNSPEC', 'INET', 'INET6', 'UNIX'] as const;
const PROTOCOLS = ['UNSPEC', 'STREAM', 'DGRAM'] as const;
/** The octets of each family's addresses. */
const ADDRESS_LENGTH = { UNSPEC: 0, INET: 12, INET6: 36, UNIX: 216 } as const;
const UNIX_PATH = 108;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/**
 * Checks the fixed part (16 octets, the signature already checked) and returns the length of
 * what follows: the addresses and TLVs.
 */
export function proxyV2Length(fixed: Uint8Array, maxLength: number): number {
  const versionCommand = fixed[12] as number;
  if (versionCommand >> 4 !== 2) throw malformed(`version ${versionCommand >> 4}`);
  if ((versionCommand & 0x0f) >= COMMANDS.length) throw malformed(`command ${versionCommand & 0x0f}`);
  const { family } = familyAndProtocol(fixed[13] as number);
  const length = ((fixed[14] as number) << 8) | (fixed[15] as number);
  if (length > maxLength) {
    throw new ProxyHeaderError('ETOOLONG', `PROXY header (version 2): ${length} octets, over ${maxLength}`);
  }
  if (length < ADDRESS_LENGTH[family]) throw malformed(`${length} octets cannot hold ${family} addresses`);
  return length;
}

/** The family and protocol octet: only the combinations the protocol defines. */
function familyAndProtocol(
  octet: number,
): Pick<ProxyHeader, 'protocol'> & { family: ProxyAddresses['family'] } {
  const family = FAMILIES[octet >> 4];
  const protocol = PROTOCOLS[octet & 0x0f];
  if (family === undefined || protocol === undefined || (family === 'UNSPEC') !== (protocol === 'UNSPEC')) {
    throw malformed(`family and protocol 0x${octet.toString(16).padStart(2, '0')}`);
  }
  return { family, protocol };
}

/** Parses a whole version 2 header, its fixed part checked by {@link proxyV2Length}. */
export function parseProxyV2(bytes: Uint8Array): ProxyHeader {
  const command = COMMANDS[(bytes[12] as number) & 0x0f] as ProxyHeader['command'];
  const { family, protocol } = familyAndProtocol(bytes[13] as number);
  const at = PROXY_V2_FIXED_LENGTH;
  const block = bytes.subarray(at, at + ADDRESS_LENGTH[family]);
  const addresses = parseAddresses(family, block);
  const tlvsAt = at + block.length;
  const { tlvs, crcAt } = parseTlvs(bytes.subarray(tlvsAt), tlvsAt);
  if (crcAt !== -1) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const stated = view.getUint32(crcAt);
    const zeroed = bytes.slice();
    zeroed.fill(0, crcAt, crcAt + 4);
    if (crc32c(zeroed) !== stated)
      throw new ProxyHeaderError('ECHECKSUM', 'PROXY header: the CRC32C does not match');
  }
  return { version: 2, command, protocol, addresses, tlvs };
}

function parseAddresses(family: ProxyAddresses['family'], block: Uint8Array): ProxyAddresses {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  switch (family) {
    case 'UNSPEC':
      return { family };
    case 'INET':
      return {
        family,
        source: { address: formatIPv4(block.subarray(0, 4)), port: view.getUint16(8) },
        destination: { address: formatIPv4(block.subarray(4, 8)), port: view.getUint16(10) },
      };
    case 'INET6':
      return {
        family,
        source: { address: formatIPv6(block.subarray(0, 16)), port: view.getUint16(32) },
        destination: { address: formatIPv6(block.subarray(16, 32)), port: view.getUint16(34) },
      };
    case 'UNIX':
      return {
        family,
        source: unixPath(block.subarray(0, UNIX_PATH)),
        destination: unixPath(block.subarray(UNIX_PATH)),
      };
  }
}

/** A Unix socket path: up to its first NUL. */
function unixPath(field: Uint8Array): string {
  const nul = field.indexOf(0);
  try {
    return utf8.decode(nul === -1 ? field : field.subarray(0, nul));
  } catch {
    throw malformed('a Unix socket path is not UTF-8');
  }
}

function malformed(why: string): ProxyHeaderError {
  return new ProxyHeaderError('EMALFORMED', `PROXY header (version 2): ${why}`);
}

/** The version 2 header for `header`. Throws a TypeError for what it cannot carry. */
export function formatProxyV2(header: ProxyHeader): Uint8Array {
  const { addresses } = header;
  const family = FAMILIES.indexOf(addresses.family);
  const protocol = PROTOCOLS.indexOf(header.protocol);
  if ((addresses.family === 'UNSPEC') !== (header.protocol === 'UNSPEC')) {
    throw new TypeError(`PROXY header: protocol ${header.protocol} with family ${addresses.family}`);
  }
  const block = formatAddresses(addresses);
  const tlvs = formatTlvs(header.tlvs);
  const length = block.length + tlvs.bytes.length;
  if (length > 0xffff) throw new TypeError('PROXY header: over 65535 octets of addresses and TLVs');
  const out = new Uint8Array(PROXY_V2_FIXED_LENGTH + length);
  out.set(PROXY_V2_SIGNATURE);
  out[12] = 0x20 | COMMANDS.indexOf(header.command);
  out[13] = (family << 4) | protocol;
  out[14] = length >> 8;
  out[15] = length & 0xff;
  out.set(block, PROXY_V2_FIXED_LENGTH);
  out.set(tlvs.bytes, PROXY_V2_FIXED_LENGTH + block.length);
  if (tlvs.crcAt !== -1) {
    const at = PROXY_V2_FIXED_LENGTH + block.length + tlvs.crcAt;
    new DataView(out.buffer).setUint32(at, crc32c(out));
  }
  return out;
}

function formatAddresses(addresses: ProxyAddresses): Uint8Array {
  const block = new Uint8Array(ADDRESS_LENGTH[addresses.family]);
  const view = new DataView(block.buffer);
  switch (addresses.family) {
    case 'UNSPEC':
      break;
    case 'INET':
    case 'INET6': {
      const size = addresses.family === 'INET' ? 4 : 16;
      const put = (end: ProxyEndpoint, index: number) => {
        const octets = size === 4 ? ipv4Bytes(end.address) : ipv6Bytes(end.address);
        if (octets === undefined) {
          throw new TypeError(
            `PROXY header: ${JSON.stringify(end.address)} is not an ${addresses.family} address`,
          );
        }
        checkPort(end.port);
        block.set(octets, index * size);
        view.setUint16(2 * size + 2 * index, end.port);
      };
      put(addresses.source, 0);
      put(addresses.destination, 1);
      break;
    }
    case 'UNIX':
      for (const [index, path] of [addresses.source, addresses.destination].entries()) {
        const octets = encoder.encode(path);
        if (octets.length > UNIX_PATH || octets.includes(0)) {
          throw new TypeError(
            `PROXY header: ${JSON.stringify(path)} is not a Unix socket path of ${UNIX_PATH} octets at most`,
          );
        }
        block.set(octets, index * UNIX_PATH);
      }
      break;
  }
  return block;
}
