import { AsyncLocalStorage } from 'node:async_hooks';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as realTimeout } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';
import { SmtpServer } from '../../src/server/smtp-server.js';
import { NodeTransport } from '../../src/transport/node.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A connected pair of sockets on loopback: the accepted one, and the peer that reads it. */
async function pair(
  allowHalfOpen = false,
): Promise<{ accepted: net.Socket; peer: net.Socket; received: () => string[] }> {
  const server = net.createServer({ allowHalfOpen });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const peer = net.connect(port, '127.0.0.1');
  const [accepted] = (await once(server, 'connection')) as [net.Socket];
  accepted.on('error', () => {});
  const chunks: string[] = [];
  peer.on('data', (chunk: Buffer) => chunks.push(chunk.toString('latin1')));
  peer.on('error', () => {});
  cleanups.push(() => {
    peer.destroy();
    accepted.destroy();
    server.close();
  });
  return { accepted, peer, received: () => chunks };
}

const turnEnds = () => new Promise((resolve) => setImmediate(resolve));

describe('NodeTransport writes', () => {
  it('leave at the end of the turn, the writes of one turn together', async () => {
    const { accepted, peer, received } = await pair();
    const transport = new NodeTransport(accepted);
    expect(transport.write('250 one\r\n')).toBeUndefined();
    expect(transport.write('250 two\r\n')).toBeUndefined();
    expect(accepted.writableCorked).toBe(1); // held
    expect(accepted.writableLength).toBeGreaterThan(0);
    await turnEnds();
    expect(accepted.writableCorked).toBe(0);
    while (received().join('').length < 18) await once(peer, 'data');
    expect(received()).toEqual(['250 one\r\n250 two\r\n']); // one write
  });

  it('still leave when the socket is destroyed in the same turn', async () => {
    const { accepted, peer, received } = await pair();
    const transport = new NodeTransport(accepted);
    transport.write('421 closing\r\n');
    transport.destroy();
    await once(peer, 'close');
    expect(received().join('')).toBe('421 closing\r\n');
  });

  it('still leave when the socket is closed in the same turn', async () => {
    const { accepted, peer, received } = await pair();
    const transport = new NodeTransport(accepted);
    transport.write('221 bye\r\n');
    transport.close();
    await once(peer, 'end');
    expect(received().join('')).toBe('221 bye\r\n');
  });

  it('leave while a test suite fakes the timers (setImmediate included)', async () => {
    const server = new SmtpServer({ onData: async (message) => void (await message.toArray()) });
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => void server.close({ timeout: 100 }));
    vi.useFakeTimers();
    const sent = (async () => {
      const client = await SmtpClient.connect(`smtp://127.0.0.1:${port}`, { tls: 'none' });
      const result = await client.send(
        { from: 'a@example.com', to: ['b@example.org'] },
        'Subject: t\r\n\r\nhi\r\n',
      );
      await client.close();
      return result.accepted;
    })();
    const hung = realTimeout(5000, 'no reply within 5 s');
    expect(await Promise.race([sent, hung])).toEqual(['b@example.org']);
  });

  it("fail in their own connection's async context, not in that of the one written first", async () => {
    const context = new AsyncLocalStorage<string>();
    const a = await pair();
    const b = await pair(true);
    // b's peer is gone: writing to b fails (EPIPE or ECONNRESET).
    b.peer.destroy();
    b.accepted.resume();
    await once(b.accepted, 'end');
    b.accepted.write('x');
    await realTimeout(50);
    const ta = context.run('a', () => new NodeTransport(a.accepted));
    const tb = context.run('b', () => new NodeTransport(b.accepted));
    ta.start({ data() {}, end() {} });
    const ended = new Promise<string | undefined>((resolve) =>
      tb.start({ data() {}, end: () => resolve(context.getStore()) }),
    );
    ta.write('250 a\r\n'); // written first: the turn's release starts with a
    tb.write('250 b\r\n');
    expect(await ended).toBe('b');
  });
});
