import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeTransport } from '../../src/transport/node.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A connected pair of sockets on loopback: the accepted one, and the peer that reads it. */
async function pair(): Promise<{ accepted: net.Socket; peer: net.Socket; received: () => string[] }> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const peer = net.connect(port, '127.0.0.1');
  const [accepted] = (await once(server, 'connection')) as [net.Socket];
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
});
