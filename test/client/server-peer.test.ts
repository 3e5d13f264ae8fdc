import { describe, expect, it } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';
import { SmtpError } from '../../src/protocol/errors.js';
import { memoryPair } from '../../src/transport/memory.js';
import { collectingServer } from '../helpers/server.js';

/** A client connected to an esmtp server in the same process. */
async function connectedTo(server: ReturnType<typeof collectingServer>['server']): Promise<SmtpClient> {
  const [clientSide, serverSide] = memoryPair();
  server.handle(serverSide);
  return SmtpClient.over(clientSide, { tls: 'none', name: 'client.example' });
}

describe('against an esmtp server', () => {
  it('a stream over the size limit in small buffers: 552, and the connection stays usable', async () => {
    const { server, delivered } = collectingServer({ limits: { messageSize: 100 * 1024 } });
    const client = await connectedTo(server);
    expect(client.capabilities).toMatchObject({ chunking: true, pipelining: true });
    async function* big() {
      for (let i = 0; i < 1024; i++) yield Buffer.from(`${'z'.repeat(1022)}\r\n`); // 1 MiB
    }
    const error = await client.send({ from: 'a@example.com', to: ['b@example.org'] }, big()).catch((e) => e);
    expect(error).toBeInstanceOf(SmtpError);
    expect(error.reply).toMatchObject({ code: 552, enhanced: '5.3.4' });
    const result = await client.send(
      { from: 'a@example.com', to: ['b@example.org'] },
      'Subject: small\r\n\r\nok\r\n',
    );
    expect(result.reply.code).toBe(250);
    expect(delivered).toHaveLength(1);
    await client.quit();
  });
});
