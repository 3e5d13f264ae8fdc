import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProxyHeaderError } from '../../src/protocol/errors.js';
import { formatIPv6, ipv6Bytes } from '../../src/protocol/ip-text.js';
import {
  formatProxyHeader,
  type ProxyHeader,
  ProxyHeaderReader,
  type ProxySslTlv,
  type ProxyTlv,
} from '../../src/protocol/proxy-header.js';
import { concat, cutsArb, splitAt } from '../helpers/bytes.js';

const portArb = fc.integer({ min: 0, max: 65535 });
const ipv4Arb = fc.ipV4();
/** IPv6 addresses in the form the parser gives them (its own formatter, checked below against URL's). */
const ipv6Arb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIPv6(b));
const asciiArb = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 20,
});
const utf8Arb = fc.string({ unit: 'grapheme', maxLength: 12 });
const octetsArb = (maxLength: number) => fc.uint8Array({ maxLength });

const inetArb = (family: 'INET' | 'INET6') =>
  fc.record({
    family: fc.constant(family),
    source: fc.record({ address: family === 'INET' ? ipv4Arb : ipv6Arb, port: portArb }),
    destination: fc.record({ address: family === 'INET' ? ipv4Arb : ipv6Arb, port: portArb }),
  });

const v1Arb: fc.Arbitrary<ProxyHeader> = fc.oneof(
  fc
    .oneof(inetArb('INET'), inetArb('INET6'))
    .map(
      (addresses): ProxyHeader => ({ version: 1, command: 'PROXY', protocol: 'STREAM', addresses, tlvs: [] }),
    ),
  fc.constant<ProxyHeader>({
    version: 1,
    command: 'PROXY',
    protocol: 'UNSPEC',
    addresses: { family: 'UNSPEC' },
    tlvs: [],
  }),
);

const KNOWN_TLVS = [0x01, 0x02, 0x03, 0x04, 0x05, 0x20, 0x30];
const KNOWN_SSL = [0x21, 0x22, 0x23, 0x24, 0x25];
const otherCode = (known: number[]) => fc.integer({ min: 0, max: 255 }).filter((c) => !known.includes(c));

const sslTlvArb: fc.Arbitrary<ProxySslTlv> = fc.oneof(
  fc.record({ type: fc.constantFrom('VERSION', 'CIPHER', 'SIG_ALG', 'KEY_ALG' as const), value: asciiArb }),
  fc.record({ type: fc.constant('CN' as const), value: utf8Arb }),
  fc.record({ type: fc.constant('OTHER' as const), code: otherCode(KNOWN_SSL), value: octetsArb(8) }),
);

const tlvArb: fc.Arbitrary<ProxyTlv> = fc.oneof(
  fc.record({ type: fc.constantFrom('ALPN', 'NETNS' as const), value: asciiArb }),
  fc.record({ type: fc.constant('AUTHORITY' as const), value: utf8Arb }),
  fc.record({ type: fc.constantFrom('NOOP', 'UNIQUE_ID' as const), value: octetsArb(16) }),
  fc.record({
    type: fc.constant('SSL' as const),
    client: fc.integer({ min: 0, max: 255 }),
    verify: fc.integer({ min: 0, max: 0xffffffff }),
    tlvs: fc.array(sslTlvArb, { maxLength: 4 }),
  }),
  fc.record({ type: fc.constant('OTHER' as const), code: otherCode(KNOWN_TLVS), value: octetsArb(8) }),
);

/** TLVs with at most one CRC32C, anywhere among them. */
const tlvsArb = fc
  .tuple(fc.array(tlvArb, { maxLength: 5 }), fc.option(fc.nat()))
  .map(([tlvs, crc]): ProxyTlv[] =>
    crc === null
      ? tlvs
      : [
          ...tlvs.slice(0, crc % (tlvs.length + 1)),
          { type: 'CRC32C' },
          ...tlvs.slice(crc % (tlvs.length + 1)),
        ],
  );

const unixPathArb = fc.string({ unit: 'grapheme-ascii', maxLength: 40 }).filter((p) => !p.includes('\0'));

const v2Arb: fc.Arbitrary<ProxyHeader> = fc
  .record({
    command: fc.constantFrom('PROXY', 'LOCAL' as const),
    transport: fc.constantFrom('STREAM', 'DGRAM' as const),
    addresses: fc.oneof(
      inetArb('INET'),
      inetArb('INET6'),
      fc.record({ family: fc.constant('UNIX' as const), source: unixPathArb, destination: unixPathArb }),
      fc.constant({ family: 'UNSPEC' as const }),
    ),
    tlvs: tlvsArb,
  })
  .map(({ command, transport, addresses, tlvs }) => ({
    version: 2,
    command,
    protocol: addresses.family === 'UNSPEC' ? 'UNSPEC' : transport,
    addresses,
    tlvs,
  }));

const headerArb = fc.oneof(v1Arb, v2Arb);

type Outcome = { more: true } | { header: ProxyHeader; rest: Uint8Array } | { error: string };

/** Feeds the chunks until the reader answers for good; what it said last. */
function feed(chunks: readonly Uint8Array[]): Outcome {
  const reader = new ProxyHeaderReader();
  const rests: Uint8Array[] = [];
  let outcome: Outcome = { more: true };
  for (const chunk of chunks) {
    if (!('more' in outcome)) {
      rests.push(chunk); // what came after the header, in later chunks
      continue;
    }
    try {
      const read = reader.push(chunk);
      if (read.type === 'header') outcome = { header: read.header, rest: read.rest };
    } catch (error) {
      if (!(error instanceof ProxyHeaderError)) throw error;
      outcome = { error: error.code };
    }
  }
  return 'header' in outcome ? { header: outcome.header, rest: concat([outcome.rest, ...rests]) } : outcome;
}

describe('PROXY headers (properties)', () => {
  it('a header formatted and read back is the same header, the bytes after it handed back, however split', () => {
    fc.assert(
      fc.property(headerArb, fc.uint8Array({ maxLength: 20 }), cutsArb, (header, after, cuts) => {
        const wire = concat([formatProxyHeader(header), after]);
        expect(feed(splitAt(wire, cuts))).toEqual({ header, rest: after });
      }),
    );
  });

  it('a version 1 header is at most 107 octets', () => {
    fc.assert(
      fc.property(v1Arb, (header) => {
        expect(formatProxyHeader(header).length).toBeLessThanOrEqual(107);
      }),
    );
  });

  /** Valid headers with a few octets changed, cut short, or random octets after a signature. */
  const inputArb = fc.oneof(
    fc
      .tuple(
        headerArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.nat(),
      )
      .map(([header, changes, cut]) => {
        const wire = formatProxyHeader(header).slice();
        for (const [at, value] of changes) wire[at % wire.length] = value;
        return wire.subarray(0, wire.length - (cut % 3));
      }),
    fc
      .uint8Array({ maxLength: 200 })
      .map((tail) =>
        concat([
          Uint8Array.from([0x0d, 0x0a, 0x0d, 0x0a, 0, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]),
          tail,
        ]),
      ),
    fc.string({ maxLength: 120 }).map((text) => new TextEncoder().encode(`PROXY ${text}`)),
    fc.uint8Array({ maxLength: 200 }),
  );

  it('any input gives the same answer however it is split, and throws nothing but a ProxyHeaderError', () => {
    fc.assert(
      fc.property(inputArb, cutsArb, (input, cuts) => {
        expect(feed(splitAt(input, cuts))).toEqual(feed([input]));
      }),
      { numRuns: 500 },
    );
  });

  it('IPv6 text: read as URL reads it, and written as URL writes it (but the IPv4-mapped form)', () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const octets = ipv6Bytes(text) as Uint8Array;
        expect(octets).toBeDefined();
        const ours = formatIPv6(octets);
        const url = new URL(`http://[${text}]/`).hostname.slice(1, -1);
        if (ours.startsWith('::ffff:') && ours.includes('.'))
          expect(new URL(`http://[${ours}]/`).hostname).toBe(`[${url}]`);
        else expect(ours).toBe(url);
      }),
    );
  });
});
