import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type CloudflareConnect,
  type CloudflareSocket,
  connectCloudflare,
} from '../../src/transport/cloudflare.js';
import { withinDeadline } from '../../src/transport/connect-deadline.js';
import { connectDeno } from '../../src/transport/deno.js';
import { errorOf } from '../helpers/error-of.js';

// The web connectors' connect deadline, driven with connection attempts that never complete (a
// peer whose SYN goes unanswered) or complete too late. The runtimes' own sockets are exercised
// end to end in test/runtime/.

afterEach(() => {
  vi.unstubAllGlobals();
});

/** A connection attempt that the test completes, or never does. */
function pending<T>(): { attempt: Promise<T>; arrive: (value: T) => void; fail: (error: Error) => void } {
  let arrive!: (value: T) => void;
  let fail!: (error: Error) => void;
  const attempt = new Promise<T>((resolve, reject) => {
    arrive = resolve;
    fail = reject;
  });
  return { attempt, arrive, fail };
}

const never = <T>() => new Promise<T>(() => {});

describe('withinDeadline', () => {
  it('gives up with ETIMEOUT when the connection does not come in time, and closes it when it comes late', async () => {
    const { attempt, arrive } = pending<string>();
    const discarded: string[] = [];
    const error = await errorOf(withinDeadline(attempt, (s) => discarded.push(s), { timeout: 30 }));
    expect(error.code).toBe('ETIMEOUT');
    arrive('late socket');
    await Promise.resolve();
    expect(discarded).toEqual(['late socket']);
  });

  it('gives up with EABORT when the signal aborts, or at once when it has', async () => {
    const controller = new AbortController();
    const waiting = withinDeadline(never(), () => {}, { timeout: 60_000, signal: controller.signal });
    controller.abort(new Error('stop'));
    const aborted = await errorOf(waiting);
    expect(aborted.code).toBe('EABORT');
    expect((aborted.cause as Error).message).toBe('stop');
    const already = await errorOf(withinDeadline(never(), () => {}, { signal: AbortSignal.abort() }));
    expect(already.code).toBe('EABORT');
  });

  it('says ECONNECTION when the attempt fails, and resolves with the socket when it succeeds', async () => {
    const refused = pending<string>();
    const failing = withinDeadline(refused.attempt, () => {}, { timeout: 1000 });
    refused.fail(new Error('connection refused'));
    const error = await errorOf(failing);
    expect(error.code).toBe('ECONNECTION');
    expect(error.message).toContain('connection refused');
    const discarded: string[] = [];
    expect(await withinDeadline(Promise.resolve('socket'), (s) => discarded.push(s), { timeout: 1000 })).toBe(
      'socket',
    );
    expect(discarded).toEqual([]);
  });
});

describe('the connectors', () => {
  it('connectCloudflare: a socket that never opens fails with ETIMEOUT and is closed', async () => {
    let closed = 0;
    const socket = {
      opened: never(),
      close: async () => {
        closed++;
      },
    } as unknown as CloudflareSocket;
    const connect: CloudflareConnect = () => socket;
    const error = await errorOf(
      connectCloudflare(connect, { hostname: 'mx.example', port: 25 }, { timeout: 30 }),
    );
    expect(error.code).toBe('ETIMEOUT');
    expect(closed).toBeGreaterThan(0);
  });

  it('connectDeno: Deno.connect that never completes fails with ETIMEOUT; the connection arriving late is closed', async () => {
    const { attempt, arrive } = pending<{ close(): void }>();
    vi.stubGlobal('Deno', { connect: () => attempt });
    const error = await errorOf(connectDeno('127.0.0.1', 25, { timeout: 30 }));
    expect(error.code).toBe('ETIMEOUT');
    let closed = false;
    arrive({
      close: () => {
        closed = true;
      },
    });
    await Promise.resolve();
    expect(closed).toBe(true);
  });
});
