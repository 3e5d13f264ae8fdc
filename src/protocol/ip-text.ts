/**
 * IP addresses between their text and their bytes, strictly: IPv4 as four decimal octets without
 * leading zeros (as `inet_pton` reads them), IPv6 as RFC 4291 2.2 writes it, formatted back as
 * RFC 5952 recommends (lower case, the longest run of zero groups as `::`).
 * @module
 */

const IPV4 = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
const HEX16 = /^[0-9A-Fa-f]{1,4}$/;

/** The four octets of an IPv4 address, or undefined when `text` is not one. */
export function ipv4Bytes(text: string): Uint8Array | undefined {
  const m = IPV4.exec(text);
  if (m === null) return undefined;
  const octets = m.slice(1).map(Number);
  return octets.every((n) => n <= 255) ? Uint8Array.from(octets) : undefined;
}

/** The sixteen octets of an IPv6 address (an IPv4 tail allowed), or undefined when `text` is not one. */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  const count = head.length + tail.length;
  if (halves.length === 2 ? count > 7 : count !== 8) return undefined;
  const words = [...head, ...new Array<number>(8 - count).fill(0), ...tail];
  const out = new Uint8Array(16);
  words.forEach((word, i) => {
    out[2 * i] = word >> 8;
    out[2 * i + 1] = word & 0xff;
  });
  return out;
}

/** The 16-bit groups of one side of `::`, an IPv4 tail counting as two; undefined when invalid. */
function groups(half: string): number[] | undefined {
  if (half === '') return [];
  const parts = half.split(':');
  const words: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = ipv4Bytes(part);
      if (v4 === undefined) return undefined;
      words.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    } else if (HEX16.test(part)) words.push(Number.parseInt(part, 16));
    else return undefined;
  }
  return words;
}

/** `192.0.2.1` from four octets. */
export function formatIPv4(octets: Uint8Array): string {
  return `${octets[0]}.${octets[1]}.${octets[2]}.${octets[3]}`;
}

/** RFC 5952 text from sixteen octets; an IPv4-mapped address ends in its IPv4 form. */
export function formatIPv6(octets: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((octets[i] as number) << 8) | (octets[i + 1] as number));
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${formatIPv4(octets.subarray(12, 16))}`;
  }
  // The longest run of two or more zero groups (the first of equals) becomes `::`.
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (list: number[]) => list.map((w) => w.toString(16)).join(':');
  if (best === -1) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLength))}`;
}
