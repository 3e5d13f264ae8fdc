import { describe, expect, it } from 'vitest';
import { ConnectionRate, clientKey } from '../../src/server/connection-rate.js';
import { SmtpServer } from '../../src/server/smtp-server.js';
import type { Logger } from '../../src/tracing/logger.js';
import { code, RawClient } from '../helpers/raw-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A logger that keeps its info lines. */
function infoLines(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const none = () => {};
  return {
    lines,
    logger: { debug: none, warn: none, error: none, info: (_fields, message) => lines.push(message) },
  };
}

describe('limits.connectionRate (SmtpServer.handle)', () => {
  it('the (n+1)-th connection within the window gets 421 and a log line; one after the window is served', async () => {
    const { logger, lines } = infoLines();
    const server = new SmtpServer({ logger, limits: { connectionRate: { connections: 2, interval: 500 } } });
    const started = performance.now();
    const a = RawClient.connect(server);
    const b = RawClient.connect(server);
    const c = RawClient.connect(server);
    // The refused connection holds a descriptor until it is gone, as the others refused over a limit.
    expect(server.connectionCount).toBe(3);
    expect((await a.reply()).code).toBe(220);
    expect((await b.reply()).code).toBe(220);
    expect(await c.reply()).toEqual({
      code: 421,
      lines: ['Too many connections from your address, try again later'],
    });
    await c.closed();
    expect(lines).toContain('refused: connection rate');
    // A connection closed does not give its place back: the rate counts connections opened.
    a.close();
    await a.closed();
    expect(code(await RawClient.connect(server).reply())).toBe('421');
    await sleep(500 - (performance.now() - started) + 20);
    expect((await RawClient.connect(server).reply()).code).toBe(220);
  });

  it('is off by default', async () => {
    const server = new SmtpServer();
    const clients = Array.from({ length: 40 }, () => RawClient.connect(server));
    for (const client of clients) expect((await client.reply()).code).toBe(220);
  });

  it('refuses a limit it cannot use', () => {
    for (const connectionRate of [
      { connections: 0, interval: 1000 },
      { connections: 1.5, interval: 1000 },
      { connections: 10, interval: 0 },
      { connections: 10, interval: Number.POSITIVE_INFINITY },
    ]) {
      expect(() => new SmtpServer({ limits: { connectionRate } }), JSON.stringify(connectionRate)).toThrow(
        RangeError,
      );
    }
  });
});

describe('ConnectionRate', () => {
  /** A rate with a clock the test moves. */
  function rate(connections: number, interval: number, capacity?: number) {
    const clock = { now: 0 };
    return { clock, rate: new ConnectionRate({ connections, interval }, capacity, () => clock.now) };
  }

  it('counts each client in a window from its first connection', () => {
    const { clock, rate: r } = rate(3, 1000);
    expect([1, 2, 3, 4].map(() => r.admit('192.0.2.1'))).toEqual([true, true, true, false]);
    expect(r.admit('192.0.2.2')).toBe(true);
    clock.now = 999;
    expect(r.admit('192.0.2.1')).toBe(false);
    clock.now = 1000;
    expect([1, 2, 3, 4].map(() => r.admit('192.0.2.1'))).toEqual([true, true, true, false]);
  });

  it('counts an IPv6 client by its /64, and an IPv4-mapped address as IPv4', () => {
    const { rate: r } = rate(2, 1000);
    expect(r.admit('2001:db8:1:2::1')).toBe(true);
    expect(r.admit('2001:db8:1:2:ffff:ffff:ffff:fffe')).toBe(true);
    expect(r.admit('2001:DB8:1:2:abcd::9')).toBe(false);
    expect(r.admit('2001:db8:1:3::1')).toBe(true);
    expect(r.admit('::ffff:192.0.2.1')).toBe(true);
    expect(r.admit('192.0.2.1')).toBe(true);
    expect(r.admit('::ffff:192.0.2.1')).toBe(false);
  });

  it('keeps a bounded table: expired windows go, and past the cap the oldest does', () => {
    const { clock, rate: r } = rate(1, 1000, 100);
    for (let i = 0; i < 10_000; i++)
      r.admit(`2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`);
    expect(r.tracked).toBe(100);
    clock.now = 1000;
    r.admit('192.0.2.1');
    expect(r.tracked).toBe(1);
  });
});

describe('clientKey', () => {
  it('is the IPv4 address, or the /64 of an IPv6 address in one spelling', () => {
    expect(clientKey('192.0.2.1')).toBe('192.0.2.1');
    expect(clientKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(clientKey('::FFFF:10.0.0.1')).toBe('10.0.0.1');
    expect(clientKey('2001:0DB8:0000:0001:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(clientKey('2001:db8:0:1::')).toBe('2001:db8:0:1::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('::')).toBe('0:0:0:0::/64');
    expect(clientKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(clientKey('')).toBe('');
  });
});
