import { connect } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { SmtpError } from '../../src/protocol/errors.js';
import { SmtpServer } from '../../src/server/smtp-server.js';
import { code, RawClient } from '../helpers/raw-client.js';
import { bufferedIn, collectingServer, readAll } from '../helpers/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('command lines', () => {
  it('4.5.3.1.4: a line over the limit gives 500 5.5.6 and the connection stays usable', async () => {
    const { server } = collectingServer({ limits: { commandLineLength: 512 } });
    const client = await RawClient.ready(server);
    expect(code(await client.command(`NOOP ${'x'.repeat(600)}`))).toBe('500 5.5.6');
    expect(code(await client.command('NOOP'))).toBe('250 2.0.0');
  });

  it('10 MB without a line end: one 500 5.5.6, bounded memory, then usable again', async () => {
    const { server } = collectingServer();
    const client = await RawClient.ready(server);
    const megabyte = 'z'.repeat(1 << 20);
    let peak = 0;
    for (let i = 0; i < 10; i++) {
      client.send(megabyte);
      await sleep(2);
      peak = Math.max(peak, bufferedIn(server));
    }
    expect(code(await client.command(''))).toBe('500 5.5.6');
    expect(code(await client.command('NOOP'))).toBe('250 2.0.0');
    expect(peak).toBeLessThan(2 << 20);
  });

  it('a client that pipelines and never reads its replies is not read from either, then served in order', async () => {
    const { server } = collectingServer();
    const { port } = await server.listen({ port: 0 });
    const socket = connect(port, '127.0.0.1');
    socket.pause(); // reads nothing: the server's replies pile up in the kernel, then in the server
    const commands = 200_000;
    const batch = 'VRFY x\r\n'.repeat(10_000); // each reply is eight times the command
    for (let i = 0; i < commands / 10_000; i++) socket.write(batch);
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      await sleep(10);
      peak = Math.max(peak, bufferedIn(server));
    }
    expect(peak).toBeLessThan(256 * 1024); // 1.4 MB were sent; the server stopped reading
    let text = '';
    let replies = 0;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const lines = text.split('\r\n');
      text = lines.pop() as string;
      for (const line of lines) if (line.startsWith('252 ')) replies++;
    });
    socket.resume();
    await vi.waitFor(() => expect(replies).toBe(commands), { timeout: 20_000 });
    socket.destroy();
    await server.close();
  }, 30_000);

  it('2.3.8: a bare LF in a command line gives 500 5.5.2; an option accepts it', async () => {
    const { server } = collectingServer();
    const client = await RawClient.ready(server);
    client.send('NOOP\nNOOP\r\n');
    expect(code(await client.reply())).toBe('500 5.5.2');
    const lenient = collectingServer({ acceptBareLfInCommands: true }).server;
    const other = await RawClient.ready(lenient);
    other.send('NOOP\nRSET\n');
    expect((await other.replies(2)).map(code)).toEqual(['250 2.0.0', '250 2.0.0']);
  });

  it('binary garbage and NUL bytes get replies, never a crash', async () => {
    const { server } = collectingServer();
    const client = await RawClient.ready(server);
    client.send(Buffer.from([0, 1, 2, 255, 254, 13, 10]));
    expect(code(await client.reply())).toBe('500 5.5.2');
    client.send('NOOP\0\r\n');
    expect(code(await client.reply())).toBe('500 5.5.2');
    expect(code(await client.command('NOOP'))).toBe('250 2.0.0');
  });

  it('a TLS ClientHello on the plain port gets an error reply or a close, nothing else', async () => {
    const { server } = collectingServer({ limits: { invalidCommands: 2 } });
    const client = RawClient.connect(server);
    await client.reply();
    // The start of a real ClientHello: a handshake record, then random-looking bytes with CR LF.
    const hello = Buffer.concat([
      Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]),
      Buffer.alloc(500, 0xab),
      Buffer.from('\r\n\r\n'),
    ]);
    client.send(hello);
    const replies = await client.replies(3);
    expect(replies.map((r) => r.code)).toEqual([500, 500, 421]);
    await client.closed();
  });
});

describe('connections', () => {
  it('more connections than the limit get 421 4.7.0', async () => {
    const { server } = collectingServer({ limits: { connections: 2 } });
    const a = RawClient.connect(server);
    const b = RawClient.connect(server);
    await a.reply();
    await b.reply();
    const c = RawClient.connect(server);
    expect(code(await c.reply())).toBe('421');
    await c.closed();
    a.close();
    await vi.waitFor(() => expect(server.connectionCount).toBe(1));
    const d = RawClient.connect(server);
    expect((await d.reply()).code).toBe(220);
  });

  it('more connections from one address than its limit get 421 4.7.0', async () => {
    const { server } = collectingServer({ limits: { connectionsPerAddress: 1 } });
    const a = RawClient.connect(server);
    await a.reply();
    const b = RawClient.connect(server);
    expect(code(await b.reply())).toBe('421');
  });

  it('onConnect can refuse a client with its own reply', async () => {
    const server = new SmtpServer({
      onConnect(session) {
        if (session.remoteAddress === '127.0.0.1') throw new SmtpError(554, '5.7.1', 'not welcome');
      },
    });
    const client = RawClient.connect(server);
    // Before EHLO no enhanced code is sent (RFC 2034).
    expect(await client.reply()).toEqual({ code: 554, lines: ['not welcome'] });
    await client.closed();
  });

  it('hooks see the session: addresses, HELO name, envelope', async () => {
    const seen: unknown[] = [];
    const { server } = collectingServer({
      onRcptTo(to, _params, session) {
        seen.push([
          session.remoteAddress,
          session.helo,
          session.envelope?.from?.address,
          to.address,
          session.secure,
          session.id.length > 0,
        ]);
      },
    });
    const client = await RawClient.ready(server);
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RCPT TO:<b@example.org>');
    expect(seen).toEqual([['127.0.0.1', 'client.example', 'a@example.com', 'b@example.org', false, true]]);
  });

  it('a hook that throws something else gives 451, an error event, and other connections go on', async () => {
    const errors: unknown[] = [];
    const { server } = collectingServer({
      onMailFrom(from) {
        if (from?.localPart === 'boom') throw new TypeError('bug in hook');
      },
      onClose() {
        throw new Error('bug in onClose');
      },
    });
    server.on('error', (e) => errors.push(e));
    const bad = await RawClient.ready(server);
    const good = await RawClient.ready(server);
    expect(code(await bad.command('MAIL FROM:<boom@example.com>'))).toBe('451 4.3.0');
    expect(code(await good.command('MAIL FROM:<fine@example.com>'))).toBe('250 2.1.0');
    bad.close();
    await vi.waitFor(() =>
      expect(errors.map((e) => (e as Error).message)).toEqual(['bug in hook', 'bug in onClose']),
    );
  });

  it('without an error listener, a failing hook still cannot crash the process', async () => {
    const { server } = collectingServer({
      onHelo() {
        throw new Error('unheard');
      },
    });
    const client = RawClient.connect(server);
    await client.reply();
    expect(code(await client.command('EHLO c.example'))).toBe('451');
  });
});

describe('timeouts (RFC 5321 4.5.3.2)', () => {
  it('the command deadline is per command: a client sending a byte at a time is cut off with 421 4.4.2', async () => {
    const { server } = collectingServer({ timeouts: { command: 150 } });
    const client = await RawClient.ready(server);
    const started = Date.now();
    for (const byte of 'NOOP NOOP NOOP NOOP NOOP') {
      if (client.isClosed) break;
      client.send(byte);
      await sleep(20);
    }
    expect(code(await client.reply())).toBe('421 4.4.2');
    await client.closed();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('the deadline starts again for each command', async () => {
    const { server } = collectingServer({ timeouts: { command: 150 } });
    const client = await RawClient.ready(server);
    for (let i = 0; i < 4; i++) {
      await sleep(80);
      expect(code(await client.command('NOOP'))).toBe('250 2.0.0');
    }
  });

  it('the data deadline cuts off a message that trickles in', async () => {
    let failure: unknown;
    const { server } = collectingServer({
      timeouts: { data: 150, minDataRate: 1_000_000 },
      async onData(message) {
        try {
          await readAll(message);
        } catch (error) {
          failure = error;
        }
      },
    });
    const client = await RawClient.ready(server);
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RCPT TO:<b@example.org>');
    await client.command('DATA');
    for (let i = 0; i < 20 && !client.isClosed; i++) {
      client.send('slow line\r\n');
      await sleep(20);
    }
    expect(code(await client.reply())).toBe('421 4.4.2');
    await vi.waitFor(() => expect((failure as { code?: string }).code).toBe('ETIMEOUT'));
  });
});

describe('close()', () => {
  it('closes idle connections with 421 4.3.2, lets a transaction finish first, and refuses new ones', async () => {
    const { server, delivered } = collectingServer();
    const idle = await RawClient.ready(server);
    const busy = await RawClient.ready(server);
    await busy.command('MAIL FROM:<a@example.com>');
    await busy.command('RCPT TO:<b@example.org>');
    const closing = server.close({ timeout: 2000 });
    expect(code(await idle.reply())).toBe('421 4.3.2');
    await idle.closed();
    const late = RawClient.connect(server);
    expect(code(await late.reply())).toBe('421');
    await busy.command('DATA');
    expect(code(await busy.command('last words\r\n.'))).toBe('250 2.0.0');
    expect(code(await busy.reply())).toBe('421 4.3.2');
    await closing;
    expect(delivered).toHaveLength(1);
  });

  it('after its timeout, close() ends transactions still open with 421 4.3.2', async () => {
    const { server } = collectingServer();
    const busy = await RawClient.ready(server);
    await busy.command('MAIL FROM:<a@example.com>');
    await server.close({ timeout: 50 });
    expect(code(await busy.reply())).toBe('421 4.3.2');
    await busy.closed();
  });

  it('a hook that never returns does not hold close() past its timeout', async () => {
    const { server } = collectingServer({
      onData: () => new Promise(() => {}), // a hook that hangs
    });
    const client = await RawClient.ready(server);
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RCPT TO:<b@example.org>');
    await client.command('DATA');
    client.send('stuck\r\n.\r\n');
    await sleep(20);
    await server.close({ timeout: 50 });
    expect(code(await client.reply())).toBe('421 4.3.2');
    await client.closed();
  });
});
