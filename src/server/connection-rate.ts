/**
 * How often each client connects, as Postfix's anvil counts it for
 * `smtpd_client_connection_rate_limit`: in a window of `interval` milliseconds from the client's
 * first connection, every connection counts, and past `connections` the client is refused until
 * the window ends.
 * @module
 */
import { isIP } from 'node:net';

/** New connections one client may open in a time window. */
export interface ConnectionRateLimit {
  /** Connections a client may open in one window; more are refused. */
  connections: number;
  /** The window's length in milliseconds, from the client's first connection in it. */
  interval: number;
}

/**
 * Clients tracked at most. Each costs a key and two numbers (some 100 octets), so the table stays
 * under 10 MB however many addresses an attacker has; past it the oldest window is forgotten.
 */
const MAX_CLIENTS = 65_536;

interface Window {
  readonly start: number;
  count: number;
}

export class ConnectionRate {
  /**
   * Each client's window, in the order the windows started (a window that ends is deleted, never
   * restarted in place): the expired ones are always at the front.
   */
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit: ConnectionRateLimit,
    private readonly capacity = MAX_CLIENTS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Clients with a window open, for tests of the bound. */
  get tracked(): number {
    return this.windows.size;
  }

  /** Counts a connection from `address`; false when it is over the limit. */
  admit(address: string): boolean {
    const now = this.now();
    for (const [key, window] of this.windows) {
      if (now - window.start < this.limit.interval) break;
      this.windows.delete(key);
    }
    const key = clientKey(address);
    let window = this.windows.get(key);
    if (window === undefined) {
      if (this.windows.size >= this.capacity) this.windows.delete(this.windows.keys().next().value as string);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    return ++window.count <= this.limit.connections;
  }
}

/**
 * Who a client is, for counting: its IPv4 address (an IPv4-mapped IPv6 address such as
 * `::ffff:192.0.2.1` is its IPv4 address), or the /64 network of its IPv6 address, written
 * `2001:db8:0:1::/64`. A /64 is what one subscriber or one host is given (RFC 6177), and every
 * address in it is theirs to use: counted by address, one client would have 2^64 fresh counters.
 */
export function clientKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An IPv4 tail (`::ffff:192.0.2.1`) stands for two groups.
  const last = right.at(-1) ?? left.at(-1) ?? '';
  const dotted = last.includes('.');
  const missing = 8 - left.length - right.length - (dotted ? 1 : 0);
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right];
  const numbers = groups.slice(0, dotted ? 6 : 8).map((group) => Number.parseInt(group, 16));
  if (dotted && numbers.slice(0, 5).every((n) => n === 0) && numbers[5] === 0xffff) return last;
  const prefix = numbers.slice(0, 4).map((n) => n.toString(16));
  return `${prefix.join(':')}::/64`;
}
