import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';
import { SmtpServer } from '../../src/server/smtp-server.js';
import { type Inherited, PYTHON, withInheritedSocket } from '../helpers/inherited-socket.js';
import { describeWithPeer } from '../helpers/peers.js';

const dist = join(import.meta.dirname, '..', '..', 'dist', 'index.js');

// A server on the inherited descriptor 3, in a process of its own: it prints where it listens,
// then each message it receives.
const SERVER = `
const { SmtpServer } = await import(process.argv[1]);
const server = new SmtpServer({
  async onData(message, envelope) {
    let size = 0;
    for await (const chunk of message) size += chunk.length;
    console.log('received', envelope.from.address, size);
  },
});
const address = await server.listen({ fd: 3 });
console.log('listening', address.address, address.port);
process.once('SIGTERM', () => server.close({ timeout: 1000 }));
`;

const children: Inherited[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.child.kill('SIGKILL');
});

it('listen() takes a descriptor or a host and port, not both', async () => {
  const server = new SmtpServer();
  await expect(server.listen({ fd: 3, port: 25 })).rejects.toThrow(TypeError);
});

describeWithPeer('python3', PYTHON, (python) => {
  it('listens on a socket another process bound and handed over as descriptor 3', async () => {
    const c = await withInheritedSocket(python, [
      process.execPath,
      '--input-type=module',
      '-e',
      SERVER,
      dist,
    ]);
    children.push(c);
    // The address is the one the other process bound: the server did not bind one of its own.
    await c.line(new RegExp(`^listening 127\\.0\\.0\\.1 ${c.port}$`), 10_000);
    const client = await SmtpClient.connect(`smtp://127.0.0.1:${c.port}`, { tls: 'none' });
    const result = await client.send(
      { from: 'alice@example.com', to: ['bob@example.org'] },
      'Subject: hi\r\n\r\nthrough descriptor 3\r\n',
    );
    await client.quit();
    expect(result.accepted).toEqual(['bob@example.org']);
    await c.line(/^received alice@example\.com \d+$/, 10_000);
  });
});
