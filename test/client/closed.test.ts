import { describe, expect, it } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';
import type { EsmtpError } from '../../src/protocol/errors.js';
import { memoryPair } from '../../src/transport/memory.js';
import { errorOf } from '../helpers/error-of.js';
import { ScriptedServer } from '../helpers/scripted-server.js';
import { collectingServer } from '../helpers/server.js';

const envelope = { from: 'a@example.com', to: ['b@example.org'] };

describe('a connection the server has closed', () => {
  it("after the server's idle timeout, send() carries its 421 and quit() in finally resolves", async () => {
    let closed!: () => void;
    const serverClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const { server } = collectingServer({ timeouts: { command: 100 }, onClose: () => closed() });
    const [clientSide, serverSide] = memoryPair();
    server.handle(serverSide);
    const client = await SmtpClient.over(clientSide, { tls: 'none', name: 'client.example' });
    await serverClosed;
    // The documented shape: the error of send() comes out, not one from quit().
    const error = await errorOf(
      (async () => {
        try {
          await client.send(envelope, 'Subject: late\r\n\r\nhi\r\n');
        } finally {
          await client.quit();
        }
      })(),
    );
    expect(error.code).toBe('ECONNECTION');
    expect(error.reply).toMatchObject({ code: 421, enhanced: '4.4.2' });
    expect(error.message).toContain('421 4.4.2 Timeout, closing connection');
    expect((await errorOf(client.noop())).reply?.code).toBe(421);
  });

  it('quit() resolves when the server closes without a word, and when it closes instead of 221', async () => {
    const server = new ScriptedServer();
    const connecting = SmtpClient.over(server.client, { tls: 'none' });
    await server.greet();
    const client = await connecting;
    server.close();
    await new Promise((r) => setTimeout(r, 10));
    await client.quit();
    const error = await errorOf(client.noop());
    expect(error.code).toBe('ECONNECTION');
    expect(error.reply).toBeUndefined();

    const other = new ScriptedServer();
    const again = SmtpClient.over(other.client, { tls: 'none' });
    await other.greet();
    const quitting = (await again).quit();
    expect(await other.line()).toBe('QUIT');
    other.close();
    await quitting;
  });

  it('later calls say why the connection closed: a timeout stays an ECONNECTION with its cause', async () => {
    const server = new ScriptedServer();
    const connecting = SmtpClient.over(server.client, { tls: 'none', timeouts: { command: 50 } });
    await server.greet();
    const client = await connecting;
    expect((await errorOf(client.noop())).code).toBe('ETIMEOUT');
    const later = await errorOf(client.noop());
    expect(later.code).toBe('ECONNECTION');
    expect(later.message).toMatch(/ETIMEOUT.*no reply from the server within 50 ms/);
    expect((later.cause as EsmtpError).code).toBe('ETIMEOUT');
  });
});
