import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';

/** A TCP server on 127.0.0.1 played by the test; it keeps every socket it accepts. */
async function listening(
  onSocket: (socket: Socket) => void = () => {},
): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  opened.push(server);
  return { server, port: (server.address() as { port: number }).port, sockets };
}

const opened: Server[] = [];
afterEach(() => {
  for (const server of opened.splice(0)) server.close();
});

describe('connect()', () => {
  it("refuses tls: 'none' with an smtps: URL before any connection is made", async () => {
    const { port, sockets } = await listening();
    await expect(SmtpClient.connect(`smtps://127.0.0.1:${port}`, { tls: 'none' })).rejects.toThrow(
      /tls: 'none'.*smtps:/,
    );
    await expect(SmtpClient.connect(`smtps://127.0.0.1:${port}`, { tls: 'none' })).rejects.toBeInstanceOf(
      TypeError,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(sockets).toHaveLength(0);
  });
});
