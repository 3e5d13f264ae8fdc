import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/protocol/crc32c.js';
import { ProxyHeaderError, type ProxyHeaderErrorCode } from '../../src/protocol/errors.js';
import {
  formatProxyHeader,
  type ProxyHeader,
  type ProxyHeaderRead,
  ProxyHeaderReader,
} from '../../src/protocol/proxy-header.js';
import { bytes, latin1 } from '../helpers/bytes.js';

const hex = (text: string) =>
  Uint8Array.from(text.replace(/\s+/g, '').match(/../g) ?? [], (h) => Number.parseInt(h, 16));
const SIGNATURE = '0d0a0d0a 000d0a51 5549540a';

function read(input: Uint8Array, options?: { maxLength?: number }): ProxyHeaderRead {
  return new ProxyHeaderReader(options).push(input);
}

function headerOf(input: Uint8Array): ProxyHeader {
  const result = read(input);
  if (result.type !== 'header') throw new Error('incomplete');
  return result.header;
}

function codeOf(input: Uint8Array, options?: { maxLength?: number }): ProxyHeaderErrorCode | 'none' {
  try {
    read(input, options);
    return 'none';
  } catch (error) {
    if (error instanceof ProxyHeaderError) return error.code;
    throw error;
  }
}

const FFFF6 = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';

describe('PROXY version 1 (the examples of the protocol text, 2.1)', () => {
  it('reads TCP4, and hands back the bytes that follow', () => {
    const result = read(bytes('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n'));
    expect(result).toEqual({
      type: 'header',
      header: {
        version: 1,
        command: 'PROXY',
        protocol: 'STREAM',
        addresses: {
          family: 'INET',
          source: { address: '192.168.0.1', port: 56324 },
          destination: { address: '192.168.0.11', port: 443 },
        },
        tlvs: [],
      },
      rest: bytes('GET / HTTP/1.1\r\n'),
    });
  });

  it('reads the worst cases: 56 octets for TCP4, 104 for TCP6, 107 for UNKNOWN', () => {
    const tcp4 = 'PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n';
    const tcp6 = `PROXY TCP6 ${FFFF6} ${FFFF6} 65535 65535\r\n`;
    const unknown = `PROXY UNKNOWN ${FFFF6} ${FFFF6} 65535 65535\r\n`;
    expect([tcp4.length, tcp6.length, unknown.length]).toEqual([56, 104, 107]);
    expect(headerOf(bytes(tcp4)).addresses).toMatchObject({
      source: { address: '255.255.255.255', port: 65535 },
    });
    expect(headerOf(bytes(tcp6)).addresses).toMatchObject({ family: 'INET6', source: { address: FFFF6 } });
    expect(headerOf(bytes(unknown))).toEqual({
      version: 1,
      command: 'PROXY',
      protocol: 'UNSPEC',
      addresses: { family: 'UNSPEC' },
      tlvs: [],
    });
    expect(headerOf(bytes('PROXY UNKNOWN\r\n')).addresses).toEqual({ family: 'UNSPEC' });
  });

  it('writes IPv6 addresses in their RFC 5952 form', () => {
    const header = headerOf(bytes('PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::FFFF:192.0.2.1 25 2525\r\n'));
    expect(header.addresses).toMatchObject({
      source: { address: '2001:db8::1' },
      destination: { address: '::ffff:192.0.2.1' },
    });
    expect(latin1(formatProxyHeader(header))).toBe('PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 25 2525\r\n');
  });

  it.each([
    ['a line over 107 octets', `PROXY UNKNOWN ${FFFF6} ${FFFF6} 65535 655350\r\n`, 'ETOOLONG'],
    ['no CR before the LF', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n', 'EMALFORMED'],
    ['lower case', 'proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n', 'ENOTPROXY'],
    ['an unknown protocol', 'PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n', 'EMALFORMED'],
    ['two spaces', 'PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n', 'EMALFORMED'],
    ['a trailing space', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n', 'EMALFORMED'],
    ['a field missing', 'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n', 'EMALFORMED'],
    ['an IPv6 address for TCP4', 'PROXY TCP4 ::1 5.6.7.8 1 2\r\n', 'EMALFORMED'],
    ['an IPv4 address for TCP6', 'PROXY TCP6 1.2.3.4 ::1 1 2\r\n', 'EMALFORMED'],
    ['an octet with a leading zero', 'PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n', 'EMALFORMED'],
    ['an octet over 255', 'PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n', 'EMALFORMED'],
    ['a port with a leading zero', 'PROXY TCP4 1.2.3.4 5.6.7.8 025 2\r\n', 'EMALFORMED'],
    ['a port over 65535', 'PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n', 'EMALFORMED'],
    ['a signed port', 'PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n', 'EMALFORMED'],
    ['an IPv6 zone', 'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n', 'EMALFORMED'],
    ['two ::', 'PROXY TCP6 1::2::3 ::1 1 2\r\n', 'EMALFORMED'],
    ['an SMTP command', 'EHLO client.example\r\n', 'ENOTPROXY'],
  ])('refuses %s', (_, line, code) => {
    expect(codeOf(bytes(line))).toBe(code);
  });

  it('says ENOTPROXY at the first octet that cannot begin a header, without waiting for a line', () => {
    const reader = new ProxyHeaderReader();
    expect(reader.push(bytes('PRO'))).toEqual({ type: 'more' });
    expect(() => reader.push(bytes('Z'))).toThrow(expect.objectContaining({ code: 'ENOTPROXY' }));
  });
});

describe('PROXY version 2 (the layout of the protocol text, 2.2)', () => {
  const tcp4 = hex(`${SIGNATURE} 21 11 000c c0a80001 c0a8000b dc04 01bb`);

  it('reads TCP over IPv4, 192.168.0.1:56324 to 192.168.0.11:443', () => {
    const result = read(new Uint8Array([...tcp4, ...bytes('EHLO')]));
    expect(result).toEqual({
      type: 'header',
      header: {
        version: 2,
        command: 'PROXY',
        protocol: 'STREAM',
        addresses: {
          family: 'INET',
          source: { address: '192.168.0.1', port: 56324 },
          destination: { address: '192.168.0.11', port: 443 },
        },
        tlvs: [],
      },
      rest: bytes('EHLO'),
    });
    expect(formatProxyHeader((result as { header: ProxyHeader }).header)).toEqual(tcp4);
  });

  it('reads LOCAL, a health check, without addresses', () => {
    expect(headerOf(hex(`${SIGNATURE} 20 00 0000`))).toEqual({
      version: 2,
      command: 'LOCAL',
      protocol: 'UNSPEC',
      addresses: { family: 'UNSPEC' },
      tlvs: [],
    });
  });

  it('reads UDP over IPv6, and Unix socket paths', () => {
    const v6 = hex(
      `${SIGNATURE} 21 22 0024 20010db8000000000000000000000001 00000000000000000000ffffc0000201 0019 09c4`,
    );
    expect(headerOf(v6)).toMatchObject({
      protocol: 'DGRAM',
      addresses: {
        family: 'INET6',
        source: { address: '2001:db8::1', port: 25 },
        destination: { address: '::ffff:192.0.2.1', port: 2500 },
      },
    });
    const path = (p: string) => [...bytes(p), ...new Array(108 - p.length).fill(0)];
    const unix = new Uint8Array([
      ...hex(`${SIGNATURE} 21 31 00d8`),
      ...path('/run/client'),
      ...path('/run/smtp'),
    ]);
    expect(headerOf(unix).addresses).toEqual({
      family: 'UNIX',
      source: '/run/client',
      destination: '/run/smtp',
    });
  });

  it('reads the TLVs: ALPN, AUTHORITY, UNIQUE_ID, NOOP, NETNS, SSL with its sub-TLVs, and others raw', () => {
    const tlvs = [
      '01 0002 6832', // ALPN h2
      `02 000e ${Buffer.from('mx.example.com').toString('hex')}`,
      '05 0003 010203', // UNIQUE_ID
      '04 0002 0000', // NOOP
      `30 0003 ${Buffer.from('red').toString('hex')}`, // NETNS
      // SSL: client 0x07 (TLS, certificate on the connection and the session), verify 0, then
      // VERSION TLSv1.3, CN client.example, CIPHER, SIG_ALG, KEY_ALG and an unknown 0x2f.
      `20 0050 07 00000000 21 0007 ${Buffer.from('TLSv1.3').toString('hex')} 22 000e ${Buffer.from('client.example').toString('hex')}
       23 0016 ${Buffer.from('TLS_AES_128_GCM_SHA256').toString('hex')} 24 0006 ${Buffer.from('SHA256').toString('hex')}
       25 0007 ${Buffer.from('RSA2048').toString('hex')} 2f 0001 ff`,
      'e0 0001 2a', // PP2_TYPE_MIN_CUSTOM
    ].join(' ');
    const block = hex(`c0a80001 c0a8000b dc04 01bb ${tlvs}`);
    const wire = new Uint8Array([
      ...hex(`${SIGNATURE} 21 11`),
      block.length >> 8,
      block.length & 0xff,
      ...block,
    ]);
    const header = headerOf(wire);
    expect(header.tlvs).toEqual([
      { type: 'ALPN', value: 'h2' },
      { type: 'AUTHORITY', value: 'mx.example.com' },
      { type: 'UNIQUE_ID', value: Uint8Array.of(1, 2, 3) },
      { type: 'NOOP', value: Uint8Array.of(0, 0) },
      { type: 'NETNS', value: 'red' },
      {
        type: 'SSL',
        client: 7,
        verify: 0,
        tlvs: [
          { type: 'VERSION', value: 'TLSv1.3' },
          { type: 'CN', value: 'client.example' },
          { type: 'CIPHER', value: 'TLS_AES_128_GCM_SHA256' },
          { type: 'SIG_ALG', value: 'SHA256' },
          { type: 'KEY_ALG', value: 'RSA2048' },
          { type: 'OTHER', code: 0x2f, value: Uint8Array.of(0xff) },
        ],
      },
      { type: 'OTHER', code: 0xe0, value: Uint8Array.of(0x2a) },
    ]);
    expect(formatProxyHeader(header)).toEqual(wire);
  });

  it('CRC32C is RFC 4960 Appendix B’s (Castagnoli), and the checksum TLV is verified', () => {
    expect(crc32c(bytes('123456789'))).toBe(0xe3069283);
    const header: ProxyHeader = {
      version: 2,
      command: 'PROXY',
      protocol: 'STREAM',
      addresses: {
        family: 'INET',
        source: { address: '192.0.2.1', port: 1 },
        destination: { address: '192.0.2.2', port: 25 },
      },
      tlvs: [{ type: 'CRC32C' }],
    };
    const wire = formatProxyHeader(header).slice();
    expect(headerOf(wire)).toEqual(header);
    const zeroed = wire.slice();
    zeroed.fill(0, wire.length - 4);
    expect(new DataView(wire.buffer).getUint32(wire.length - 4)).toBe(crc32c(zeroed));
    wire[wire.length - 1] = (wire[wire.length - 1] as number) ^ 1;
    expect(codeOf(wire)).toBe('ECHECKSUM');
    const tampered = formatProxyHeader(header).slice();
    tampered[16] = (tampered[16] as number) ^ 1; // the source address
    expect(codeOf(tampered)).toBe('ECHECKSUM');
  });

  it.each([
    ['version 1 in the binary form', `${SIGNATURE} 11 11 000c c0a80001 c0a8000b dc04 01bb`, 'EMALFORMED'],
    ['an unknown command', `${SIGNATURE} 22 11 000c c0a80001 c0a8000b dc04 01bb`, 'EMALFORMED'],
    ['an unknown family', `${SIGNATURE} 21 41 000c c0a80001 c0a8000b dc04 01bb`, 'EMALFORMED'],
    ['an unknown protocol', `${SIGNATURE} 21 13 000c c0a80001 c0a8000b dc04 01bb`, 'EMALFORMED'],
    ['AF_INET without a protocol', `${SIGNATURE} 21 10 000c c0a80001 c0a8000b dc04 01bb`, 'EMALFORMED'],
    ['too short for its family', `${SIGNATURE} 21 11 0008 c0a80001 c0a8000b`, 'EMALFORMED'],
    ['a truncated TLV', `${SIGNATURE} 21 11 000e c0a80001 c0a8000b dc04 01bb 0100`, 'EMALFORMED'],
    ['a TLV past the end', `${SIGNATURE} 21 11 0010 c0a80001 c0a8000b dc04 01bb 010005 68`, 'EMALFORMED'],
    ['a CRC32C of 2 octets', `${SIGNATURE} 21 11 0011 c0a80001 c0a8000b dc04 01bb 030002 0000`, 'EMALFORMED'],
    [
      'an SSL TLV under 5 octets',
      `${SIGNATURE} 21 11 0010 c0a80001 c0a8000b dc04 01bb 200001 00`,
      'EMALFORMED',
    ],
    [
      'an AUTHORITY that is not UTF-8',
      `${SIGNATURE} 21 11 0010 c0a80001 c0a8000b dc04 01bb 020001 ff`,
      'EMALFORMED',
    ],
    ['a broken signature', `0d0a0d0a 000d0a51 5549540d 21 11 000c`, 'ENOTPROXY'],
  ])('refuses %s', (_, text, code) => {
    expect(codeOf(hex(text))).toBe(code);
  });

  it('refuses a header longer than the limit once its length is read, before its body arrives', () => {
    expect(codeOf(hex(`${SIGNATURE} 21 11 1001`))).toBe('ETOOLONG');
    expect(codeOf(hex(`${SIGNATURE} 21 11 0100`), { maxLength: 255 })).toBe('ETOOLONG');
    expect(read(hex(`${SIGNATURE} 21 11 1000`))).toEqual({ type: 'more' });
  });

  it('the formatter refuses what a version cannot carry', () => {
    const local: ProxyHeader = {
      version: 1,
      command: 'LOCAL',
      protocol: 'UNSPEC',
      addresses: { family: 'UNSPEC' },
      tlvs: [],
    };
    expect(() => formatProxyHeader(local)).toThrow(TypeError);
    const badAddress: ProxyHeader = {
      version: 2,
      command: 'PROXY',
      protocol: 'STREAM',
      addresses: {
        family: 'INET',
        source: { address: '::1', port: 1 },
        destination: { address: '1.2.3.4', port: 1 },
      },
      tlvs: [],
    };
    expect(() => formatProxyHeader(badAddress)).toThrow(/"::1" is not an INET address/);
    const unspec: ProxyHeader = { ...local, version: 2, command: 'PROXY' };
    expect(formatProxyHeader(unspec)).toHaveLength(16);
    const tlv = (t: ProxyHeader['tlvs'][number]) => () => formatProxyHeader({ ...unspec, tlvs: [t] });
    expect(tlv({ type: 'OTHER', code: 0x02, value: new Uint8Array() })).toThrow(
      /not the code of an OTHER TLV/,
    );
    expect(tlv({ type: 'SSL', client: 256, verify: 0, tlvs: [] })).toThrow(/SSL client is an octet/);
    expect(tlv({ type: 'ALPN', value: 'h\u0100' })).toThrow(/not one octet a character/);
    expect(tlv({ type: 'UNIQUE_ID', value: new Uint8Array(129) })).toThrow(/UNIQUE_ID over 128 octets/);
  });
});
