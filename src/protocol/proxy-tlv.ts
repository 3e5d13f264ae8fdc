/**
 * The TLVs (type, 16-bit length, value) after a PROXY version 2 header's addresses, and the
 * sub-TLVs of its `SSL` TLV.
 * @module
 */
import { ProxyHeaderError } from './errors.js';
import type { ProxySslTlv, ProxyTlv } from './proxy-header.js';

const TLV_CODES = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  NETNS: 0x30,
} as const;
const SSL_CODES = { VERSION: 0x21, CN: 0x22, CIPHER: 0x23, SIG_ALG: 0x24, KEY_ALG: 0x25 } as const;
const TLV_NAMES = new Map(Object.entries(TLV_CODES).map(([name, code]) => [code as number, name]));
const SSL_NAMES = new Map(Object.entries(SSL_CODES).map(([name, code]) => [code as number, name]));

/** `PP2_TYPE_UNIQUE_ID` is at most this long. */
const MAX_UNIQUE_ID = 128;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** The TLVs read, and where the CRC32C value is in the block (-1 without one). */
export interface ReadTlvs {
  readonly tlvs: ProxyTlv[];
  readonly crcAt: number;
}

/** Reads the TLVs of `block` (from the header's `offset`, to place the checksum). */
export function parseTlvs(block: Uint8Array, offset: number): ReadTlvs {
  const tlvs: ProxyTlv[] = [];
  let crcAt = -1;
  for (const { code, value, at } of split(block)) {
    const name = TLV_NAMES.get(code);
    switch (name) {
      case 'ALPN':
      case 'NETNS':
        tlvs.push({ type: name, value: latin1.decode(value) });
        break;
      case 'AUTHORITY':
        tlvs.push({ type: name, value: text(value, name) });
        break;
      case 'CRC32C':
        if (value.length !== 4) throw malformed('CRC32C is not 4 octets');
        if (crcAt !== -1) throw malformed('two CRC32C TLVs');
        crcAt = offset + at;
        tlvs.push({ type: name });
        break;
      case 'NOOP':
        tlvs.push({ type: name, value });
        break;
      case 'UNIQUE_ID':
        if (value.length > MAX_UNIQUE_ID) throw malformed(`UNIQUE_ID is over ${MAX_UNIQUE_ID} octets`);
        tlvs.push({ type: name, value });
        break;
      case 'SSL':
        tlvs.push(ssl(value));
        break;
      default:
        tlvs.push({ type: 'OTHER', code, value });
    }
  }
  return { tlvs, crcAt };
}

function ssl(value: Uint8Array): ProxyTlv {
  if (value.length < 5) throw malformed('SSL is shorter than 5 octets');
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const tlvs: ProxySslTlv[] = [];
  for (const sub of split(value.subarray(5))) {
    const name = SSL_NAMES.get(sub.code);
    if (name === 'CN') tlvs.push({ type: name, value: text(sub.value, 'SSL CN') });
    else if (name !== undefined) tlvs.push({ type: name as 'VERSION', value: latin1.decode(sub.value) });
    else tlvs.push({ type: 'OTHER', code: sub.code, value: sub.value });
  }
  return { type: 'SSL', client: view.getUint8(0), verify: view.getUint32(1), tlvs };
}

/** The TLVs of a block; each value's offset in the block too. */
function* split(block: Uint8Array): Generator<{ code: number; value: Uint8Array; at: number }> {
  let i = 0;
  while (i < block.length) {
    if (block.length - i < 3) throw malformed('a truncated TLV');
    const code = block[i] as number;
    const length = ((block[i + 1] as number) << 8) | (block[i + 2] as number);
    const at = i + 3;
    if (at + length > block.length) throw malformed('a TLV longer than the header');
    yield { code, value: block.subarray(at, at + length), at };
    i = at + length;
  }
}

function text(value: Uint8Array, what: string): string {
  try {
    return utf8.decode(value);
  } catch {
    throw malformed(`${what} is not UTF-8`);
  }
}

function malformed(why: string): ProxyHeaderError {
  return new ProxyHeaderError('EMALFORMED', `PROXY header (version 2): ${why}`);
}

/** The TLVs as octets, and where the CRC32C value goes in them (-1 without one). */
export function formatTlvs(tlvs: readonly ProxyTlv[]): { bytes: Uint8Array; crcAt: number } {
  const parts: Uint8Array[] = [];
  let crcAt = -1;
  let length = 0;
  const add = (code: number, value: Uint8Array) => {
    if (value.length > 0xffff) throw new TypeError('PROXY header: a TLV over 65535 octets');
    parts.push(Uint8Array.of(code, value.length >> 8, value.length & 0xff), value);
    length += 3 + value.length;
  };
  for (const tlv of tlvs) {
    switch (tlv.type) {
      case 'ALPN':
      case 'NETNS':
        add(TLV_CODES[tlv.type], latin1Bytes(tlv.value));
        break;
      case 'AUTHORITY':
        add(TLV_CODES.AUTHORITY, encoder.encode(tlv.value));
        break;
      case 'CRC32C':
        if (crcAt !== -1) throw new TypeError('PROXY header: two CRC32C TLVs');
        crcAt = length + 3;
        add(TLV_CODES.CRC32C, new Uint8Array(4));
        break;
      case 'NOOP':
        add(TLV_CODES.NOOP, tlv.value);
        break;
      case 'UNIQUE_ID':
        if (tlv.value.length > MAX_UNIQUE_ID)
          throw new TypeError(`PROXY header: UNIQUE_ID over ${MAX_UNIQUE_ID} octets`);
        add(TLV_CODES.UNIQUE_ID, tlv.value);
        break;
      case 'SSL':
        add(TLV_CODES.SSL, formatSsl(tlv));
        break;
      case 'OTHER':
        add(otherCode(tlv.code, TLV_NAMES), tlv.value);
        break;
    }
  }
  return { bytes: concat(parts, length), crcAt };
}

function formatSsl(tlv: Extract<ProxyTlv, { type: 'SSL' }>): Uint8Array {
  if (!isInteger(tlv.client, 0xff) || !isInteger(tlv.verify, 0xffffffff)) {
    throw new TypeError('PROXY header: SSL client is an octet and verify a 32-bit number');
  }
  const head = new Uint8Array(5);
  const view = new DataView(head.buffer);
  view.setUint8(0, tlv.client);
  view.setUint32(1, tlv.verify);
  const parts: Uint8Array[] = [head];
  for (const sub of tlv.tlvs) {
    const code = sub.type === 'OTHER' ? otherCode(sub.code, SSL_NAMES) : SSL_CODES[sub.type];
    const value =
      sub.type === 'OTHER'
        ? sub.value
        : sub.type === 'CN'
          ? encoder.encode(sub.value)
          : latin1Bytes(sub.value);
    if (value.length > 0xffff) throw new TypeError('PROXY header: an SSL sub-TLV over 65535 octets');
    parts.push(Uint8Array.of(code, value.length >> 8, value.length & 0xff), value);
  }
  return concat(
    parts,
    parts.reduce((n, p) => n + p.length, 0),
  );
}

/** An `OTHER` TLV's code: an octet that no named type has (those are written by name). */
function otherCode(code: number, named: Map<number, string>): number {
  if (!isInteger(code, 0xff) || named.has(code)) {
    throw new TypeError(`PROXY header: ${code} is not the code of an OTHER TLV`);
  }
  return code;
}

function isInteger(value: number, max: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= max;
}

function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new TypeError(`PROXY header: ${JSON.stringify(text)} is not one octet a character`);
    out[i] = c;
  }
  return out;
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
