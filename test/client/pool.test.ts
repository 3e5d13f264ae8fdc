import { execFile } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { SmtpPool } from '../../src/client/pool.js';
import { EsmtpError, SmtpError } from '../../src/protocol/errors.js';
import { reply } from '../../src/protocol/reply.js';
import type { SessionInfo, SmtpServerOptions } from '../../src/server/options.js';
import { SmtpServer } from '../../src/server/smtp-server.js';
import { NodeTransport } from '../../src/transport/node.js';
import { errorOf } from '../helpers/error-of.js';
import { readAll } from '../helpers/server.js';
import { Signal } from '../helpers/signal.js';

/**
 * An esmtp server on a loopback port, as the pool sees it, and what it saw: connections (at once
 * and in all), disconnects, the messages delivered and the time each MAIL FROM arrived. Its hooks
 * get `drop(session)`, which cuts that connection from the server's side.
 */
async function serving(hooks: (drop: (session: SessionInfo) => void) => SmtpServerOptions = () => ({})) {
  const transports = new Map<number, NodeTransport>();
  const drop = (session: SessionInfo) => transports.get(session.remotePort)?.destroy();
  const seen = {
    connections: 0,
    open: 0,
    mostOpen: 0,
    disconnects: 0,
    delivered: [] as string[],
    mailTimes: [] as number[],
    /** Messages per connection, in the order the connections came. */
    perConnection: new Map<string, number>(),
  };
  const changed = new Signal();
  const given = hooks(drop);
  const server = new SmtpServer({
    hostname: 'mx.test',
    async onData(message, _envelope, session) {
      seen.delivered.push((await readAll(message)).toString('latin1'));
      seen.perConnection.set(session.id, (seen.perConnection.get(session.id) ?? 0) + 1);
    },
    ...given,
    onMailFrom(from, params, session) {
      seen.mailTimes.push(performance.now());
      return given.onMailFrom?.(from, params, session);
    },
  });
  server.on('connection', (session) => {
    seen.connections++;
    seen.open++;
    seen.mostOpen = Math.max(seen.mostOpen, seen.open);
    seen.perConnection.set(session.id, 0);
    changed.notify();
  });
  server.on('disconnect', () => {
    seen.open--;
    seen.disconnects++;
    changed.notify();
  });
  const listener = createServer((socket) => {
    socket.on('error', () => {});
    const transport = new NodeTransport(socket);
    transports.set(socket.remotePort as number, transport);
    server.handle(transport);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  running.push({ listener, server });
  const port = (listener.address() as { port: number }).port;
  /** Waits, 4 s at most, until `ready()` holds: checked at each server event and every 10 ms. */
  const until = async (ready: () => boolean, what: string) => {
    const deadline = Date.now() + 4000;
    while (!ready()) {
      if (Date.now() > deadline) throw new Error(`never came: ${what}`);
      await changed.wait(10);
    }
  };
  return { url: `smtp://127.0.0.1:${port}`, port, seen, until };
}

const running: { listener: Server; server: SmtpServer }[] = [];
afterEach(async () => {
  for (const { listener, server } of running.splice(0)) {
    listener.close();
    await server.close({ timeout: 1000 });
  }
});

/** A promise the test resolves when it chooses: a server hook waits on it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

const envelope = { from: 'a@example.com', to: ['b@example.org'] };
const message = (n: number | string = 1) => `Subject: message ${n}\r\n\r\nbody ${n}\r\n`;
const options = { tls: 'none', name: 'client.example' } as const;

describe('SmtpPool: connections', () => {
  it('reuses one connection for messages sent one after the other', async () => {
    const { url, seen } = await serving();
    const pool = new SmtpPool(url, options);
    for (let n = 0; n < 10; n++) {
      const result = await pool.send(envelope, message(n));
      expect(result.accepted).toEqual(['b@example.org']);
    }
    expect(seen.delivered).toHaveLength(10);
    expect(seen.connections).toBe(1);
    expect(pool.stats).toMatchObject({ sent: 10, failed: 0, connectionsOpened: 1, connectionsOpen: 1 });
    await pool.close();
  });

  it('opens maxConnections connections for messages sent at once, and no more', async () => {
    const slow = gate();
    const { url, seen, until } = await serving(() => ({
      async onData(stream) {
        await readAll(stream);
        await slow.opened;
      },
    }));
    const pool = new SmtpPool(url, { ...options, maxConnections: 3 });
    const sends = Array.from({ length: 12 }, (_, n) => pool.send(envelope, message(n)));
    await until(() => seen.connections === 3, 'three connections');
    await until(() => pool.stats.sending === 3, 'three messages at once');
    expect(pool.stats).toMatchObject({ queued: 9, connectionsOpen: 3 });
    slow.open();
    await Promise.all(sends);
    expect(seen.mostOpen).toBe(3);
    expect(seen.connections).toBe(3);
    await pool.close();
  });

  it('QUITs a connection after maxMessagesPerConnection and opens another', async () => {
    const { url, seen, until } = await serving();
    const pool = new SmtpPool(url, { ...options, maxMessagesPerConnection: 2 });
    for (let n = 0; n < 5; n++) await pool.send(envelope, message(n));
    expect([...seen.perConnection.values()]).toEqual([2, 2, 1]);
    await until(() => seen.disconnects === 2, 'the first two connections end');
    expect(pool.stats).toMatchObject({ sent: 5, connectionsOpened: 3, connectionsOpen: 1 });
    await pool.close();
  });

  it('QUITs a connection unused for idleTimeout', async () => {
    const { url, seen, until } = await serving();
    const pool = new SmtpPool(url, { ...options, idleTimeout: 150 });
    await pool.send(envelope, message());
    const idleSince = performance.now();
    await until(() => seen.disconnects === 1, 'the idle connection end');
    expect(performance.now() - idleSince).toBeGreaterThanOrEqual(140);
    expect(pool.stats.connectionsOpen).toBe(0);
    // The next message opens a new connection.
    await pool.send(envelope, message(2));
    expect(seen.connections).toBe(2);
    await pool.close();
  });

  it('an idle pool does not keep the process alive once its connections have timed out', async () => {
    const { port, seen } = await serving();
    const script = `
      import { SmtpPool } from ${JSON.stringify(join(import.meta.dirname, '../../dist/index.js'))};
      const pool = new SmtpPool('smtp://127.0.0.1:${port}', { tls: 'none', idleTimeout: 200 });
      await pool.send({ from: 'a@example.com', to: ['b@example.org'] }, 'Subject: x\\r\\n\\r\\nx\\r\\n');
      console.log('sent');
    `;
    // No close(): the process ends once the idle connection is gone, or this test times out.
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 }, (error, out) =>
        error ? reject(error) : resolve(out),
      ),
    );
    expect(stdout).toBe('sent\n');
    expect(seen.delivered).toHaveLength(1);
  });

  it('replaces a connection the server closed while it was idle (421 after its command timeout)', async () => {
    const { url, seen, until } = await serving(() => ({ timeouts: { command: 200 } }));
    const pool = new SmtpPool(url, options);
    await pool.send(envelope, message(1));
    await until(() => seen.disconnects === 1, 'its idle timeout');
    await pool.send(envelope, message(2));
    expect(seen.delivered).toHaveLength(2);
    expect(seen.connections).toBe(2);
    await pool.close();
  });
});

describe('SmtpPool: failures and retries', () => {
  it('a 421 to MAIL FROM: the connection is replaced and the message sent on the new one', async () => {
    let mails = 0;
    const { url, seen } = await serving(() => ({
      onMailFrom: () => (++mails === 2 ? reply(421, '4.3.2', 'going away') : undefined),
    }));
    const pool = new SmtpPool(url, options);
    await pool.send(envelope, message(1));
    await pool.send(envelope, message(2));
    await pool.send(envelope, message(3));
    expect(seen.delivered).toEqual([message(1), message(2), message(3)]);
    expect(seen.connections).toBe(2);
    expect(pool.stats).toMatchObject({ sent: 3, failed: 0, connectionsOpened: 2 });
    await pool.close();
  });

  it('a 421 to the end of the message: that message fails (it is not resent), the next goes through', async () => {
    let messages = 0;
    const { url, seen } = await serving(() => ({
      async onData(stream) {
        await readAll(stream);
        if (++messages === 1) return reply(421, '4.3.2', 'going away');
        seen.delivered.push('delivered');
      },
    }));
    const pool = new SmtpPool(url, options);
    const error = await errorOf(pool.send(envelope, message(1)));
    expect(error).toBeInstanceOf(SmtpError);
    expect([error.code, error.sent]).toEqual([421, 'message']);
    await pool.send(envelope, message(2));
    expect(messages).toBe(2);
    expect(seen.connections).toBe(2);
    expect(pool.stats).toMatchObject({ sent: 1, failed: 1 });
    await pool.close();
  });

  it('a connection refused with a 421 greeting: the message goes on the next connection', async () => {
    let connections = 0;
    const { url, seen } = await serving(() => ({
      onConnect: () => (++connections === 1 ? reply(421, '4.7.0', 'busy') : undefined),
    }));
    const pool = new SmtpPool(url, options);
    await pool.send(envelope, message());
    expect(seen.delivered).toEqual([message()]);
    expect(seen.connections).toBe(2);
    expect(pool.stats).toMatchObject({ sent: 1, connectionsOpened: 1 });
    await pool.close();
  });

  it('a stream not yet read is sent whole on the next connection', async () => {
    let connections = 0;
    const { url, seen } = await serving(() => ({
      onConnect: () => (++connections === 1 ? reply(421, '4.7.0', 'busy') : undefined),
    }));
    const pool = new SmtpPool(url, options);
    const body = `Subject: stream\r\n\r\n${'line\r\n'.repeat(5000)}`;
    await pool.send(envelope, Readable.from([body.slice(0, 100), body.slice(100)]));
    expect(seen.delivered).toEqual([body]);
    await pool.close();
  });

  it('gives up after three attempts, with the last failure', async () => {
    const { url, seen } = await serving(() => ({ onConnect: () => reply(421, '4.7.0', 'busy') }));
    const pool = new SmtpPool(url, options);
    const error = await errorOf(pool.send(envelope, message()));
    expect(error).toBeInstanceOf(SmtpError);
    expect([error.code, error.sent]).toEqual([421, 'nothing']);
    expect(seen.connections).toBe(3);
    expect(pool.stats).toMatchObject({ sent: 0, failed: 1, connectionsOpened: 0 });
    await pool.close();
  });

  it('a server refusal is not retried: the SmtpError as SmtpClient gives it', async () => {
    const { url, seen } = await serving(() => ({ onMailFrom: () => reply(550, '5.7.1', 'not you') }));
    const pool = new SmtpPool(url, options);
    const error = await errorOf(pool.send(envelope, message()));
    expect(error).toBeInstanceOf(SmtpError);
    expect([error.code, error.sent]).toEqual([550, 'nothing']);
    expect(seen.mailTimes).toHaveLength(1);
    await pool.close();
  });

  it('the connection lost after the whole message: EUNCERTAIN, and the message is not resent', async () => {
    let received = 0;
    const { url, seen } = await serving((drop) => ({
      async onData(stream, _envelope, session) {
        await readAll(stream);
        if (++received === 1) drop(session);
      },
    }));
    const pool = new SmtpPool(url, options);
    const error = await errorOf(pool.send(envelope, message()));
    expect(error).toBeInstanceOf(EsmtpError);
    expect([error.code, error.sent]).toEqual(['EUNCERTAIN', 'message']);
    expect((error.cause as EsmtpError).code).toBe('ECONNECTION');
    expect(received).toBe(1);
    expect(seen.mailTimes).toHaveLength(1);
    expect(pool.stats).toMatchObject({ sent: 0, failed: 1 });
    // The pool goes on with a new connection.
    await pool.send(envelope, message(2));
    expect(received).toBe(2);
    await pool.close();
  });

  it('a stream read in part when the connection is lost: not resent', async () => {
    const { url, seen } = await serving((drop) => ({
      async onData(stream, _envelope, session) {
        for await (const _ of stream) drop(session);
      },
    }));
    const pool = new SmtpPool(url, options);
    const line = `${'x'.repeat(78)}\r\n`;
    async function* body() {
      for (let i = 0; i < 100; i++) {
        yield line.repeat(1000);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    const error = await errorOf(pool.send(envelope, body()));
    expect([error.code, error.sent]).toEqual(['ECONNECTION', 'envelope']);
    expect(seen.mailTimes).toHaveLength(1);
    await pool.close();
  });
});

describe('SmtpPool: the queue', () => {
  it('over maxQueued waiting sends, send() fails at once with EQUEUEFULL', async () => {
    const slow = gate();
    const { url, seen, until } = await serving(() => ({
      async onData(stream) {
        await readAll(stream);
        await slow.opened;
        seen.delivered.push('delivered');
      },
    }));
    const pool = new SmtpPool(url, { ...options, maxConnections: 1, maxQueued: 2 });
    const sends = [pool.send(envelope, message(1))];
    await until(() => pool.stats.sending === 1, 'the first message');
    // Waiting for a connection counts as queued, whether one is being opened or all are busy.
    sends.push(pool.send(envelope, message(2)), pool.send(envelope, message(3)));
    expect(pool.stats.queued).toBe(2);
    const error = await errorOf(pool.send(envelope, message(4)));
    expect([error.code, error.sent]).toEqual(['EQUEUEFULL', 'nothing']);
    slow.open();
    await Promise.all(sends);
    expect(seen.delivered).toHaveLength(3);
    expect(pool.stats).toMatchObject({ sent: 3, failed: 1, queued: 0 });
    await pool.close();
  });

  it('an abort ends a waiting send at once; the others go on', async () => {
    const slow = gate();
    const { url, seen, until } = await serving(() => ({
      async onData(stream) {
        seen.delivered.push((await readAll(stream)).toString('latin1'));
        await slow.opened;
      },
    }));
    const pool = new SmtpPool(url, { ...options, maxConnections: 1 });
    const first = pool.send(envelope, message(1));
    const controller = new AbortController();
    const waiting = pool.send(envelope, message(2), { signal: controller.signal });
    const third = pool.send(envelope, message(3));
    await until(() => pool.stats.sending === 1, 'the first message');
    controller.abort();
    const error = await errorOf(waiting);
    expect([error.code, error.sent]).toEqual(['EABORT', 'nothing']);
    expect(pool.stats).toMatchObject({ sending: 1, queued: 1 }); // the first still being sent
    slow.open();
    await Promise.all([first, third]);
    expect(seen.delivered).toEqual([message(1), message(3)]);
    // A signal aborted before the call: at once.
    expect((await errorOf(pool.send(envelope, message(4), { signal: controller.signal }))).code).toBe(
      'EABORT',
    );
    await pool.close();
  });

  it('close() sends what it has taken, refuses new sends with ECLOSED, then QUITs every connection', async () => {
    const slow = gate();
    const { url, seen, until } = await serving(() => ({
      async onData(stream) {
        seen.delivered.push((await readAll(stream)).toString('latin1'));
        await slow.opened;
      },
    }));
    const pool = new SmtpPool(url, { ...options, maxConnections: 2 });
    const sends = [1, 2, 3, 4].map((n) => pool.send(envelope, message(n)));
    await until(() => pool.stats.sending === 2, 'two messages at once');
    let closed = false;
    const closing = pool.close().then(() => {
      closed = true;
    });
    const error = await errorOf(pool.send(envelope, message(5)));
    expect([error.code, error.sent]).toEqual(['ECLOSED', 'nothing']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    slow.open();
    await Promise.all(sends);
    await closing;
    expect(seen.delivered.sort()).toEqual([1, 2, 3, 4].map((n) => message(n)));
    await until(() => seen.disconnects === 2, 'both connections end');
    expect(pool.stats).toMatchObject({ sent: 4, failed: 1, connectionsOpen: 0, queued: 0, sending: 0 });
    expect(pool.close()).toBe(pool.close());
  });

  it('close() does not wait for a connection being opened that no message needs any more', async () => {
    // A server that accepts and never greets: the connection would wait out the greeting timeout.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const pool = new SmtpPool(`smtp://127.0.0.1:${port}`, { ...options, timeouts: { greeting: 60_000 } });
    const controller = new AbortController();
    const sending = pool.send(envelope, message(), { signal: controller.signal });
    for (let i = 0; i < 400 && sockets.length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sockets).toHaveLength(1);
    controller.abort();
    expect((await errorOf(sending)).code).toBe('EABORT');
    await pool.close(); // the test's own timeout is the bound: without the abort it would wait 60 s
    const socket = sockets[0] as Socket;
    await new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));
    silent.close();
  });

  it('await using closes the pool at the end of the scope', async () => {
    const { url, seen, until } = await serving();
    {
      await using pool = new SmtpPool(url, options);
      await pool.send(envelope, message());
      expect(seen.disconnects).toBe(0);
    }
    await until(() => seen.disconnects === 1, 'the QUIT');
    expect(seen.delivered).toHaveLength(1);
  });

  it('bad options are errors at construction', () => {
    expect(() => new SmtpPool('smtp://127.0.0.1:1', { maxConnections: 0 })).toThrow(RangeError);
    expect(() => new SmtpPool('smtp://127.0.0.1:1', { maxQueued: -1 })).toThrow(RangeError);
    expect(() => new SmtpPool('smtp://127.0.0.1:1', { idleTimeout: 0 })).toThrow(RangeError);
    expect(() => new SmtpPool('smtp://127.0.0.1:1', { rateLimit: { messages: 0, interval: 1000 } })).toThrow(
      RangeError,
    );
    expect(() => new SmtpPool('smtps://127.0.0.1:1', { tls: 'none' })).toThrow(TypeError);
    expect(() => new SmtpPool('http://127.0.0.1:1')).toThrow(TypeError);
  });
});

describe('SmtpPool: rateLimit', () => {
  it('no window of the interval holds more than the limit, however the sends come', async () => {
    const { url, seen } = await serving();
    const pool = new SmtpPool(url, {
      ...options,
      maxConnections: 4,
      rateLimit: { messages: 4, interval: 300 },
    });
    const started = performance.now();
    // One message, a pause, then eleven at once: a limiter on windows fixed on the clock would let
    // the three after the pause and four more at the next window's start through within 100 ms.
    const sends = [pool.send(envelope, message(0))];
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let n = 1; n < 12; n++) sends.push(pool.send(envelope, message(n)));
    await Promise.all(sends);
    const elapsed = performance.now() - started;
    expect(seen.delivered).toHaveLength(12);
    // The server sees each MAIL FROM a moment after the pool started it, a moment that varies from
    // one to the next (by tens of milliseconds when the machine is busy), so the windows are
    // checked 100 ms shorter: 200 ms. A limiter on windows fixed on the clock still fails that
    // (seven starts from 200 to 300 ms), and the limiter's own rule is checked exactly, without
    // a clock, in rate-limit.test.ts.
    const times = seen.mailTimes;
    for (let i = 0; i + 4 < times.length; i++) {
      expect((times[i + 4] as number) - (times[i] as number)).toBeGreaterThanOrEqual(300 - 100);
    }
    // The pool starts the 5th message 300 ms after the 1st at the earliest, the 9th 300 ms after the
    // 5th, the 10th to 12th 300 ms after the 6th to 8th, which came after the pause.
    expect(elapsed).toBeGreaterThanOrEqual(800);
    await pool.close();
  });
});
