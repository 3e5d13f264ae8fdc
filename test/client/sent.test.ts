import { describe, expect, it } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';
import { EsmtpError, SmtpError } from '../../src/protocol/errors.js';
import { reply } from '../../src/protocol/reply.js';
import type { SmtpServerOptions } from '../../src/server/options.js';
import { SmtpServer } from '../../src/server/smtp-server.js';
import { memoryPair } from '../../src/transport/memory.js';
import type { Transport } from '../../src/transport/transport.js';
import { errorOf } from '../helpers/error-of.js';
import { readAll } from '../helpers/server.js';

/**
 * A client connected over a memory pair to an esmtp server whose hooks get, as `drop()`, a way to
 * cut the connection from the server's side at the moment they choose.
 */
async function connected(
  hooks: (drop: () => void) => SmtpServerOptions,
  chunking = true,
): Promise<{ client: SmtpClient; delivered: () => number }> {
  let serverSide: Transport | undefined;
  let delivered = 0;
  const drop = () => serverSide?.destroy();
  const server = new SmtpServer({
    hostname: 'mx.test',
    extensions: { chunking },
    async onData(message) {
      await readAll(message);
      delivered++;
    },
    ...hooks(drop),
  });
  const [clientSide, other] = memoryPair();
  serverSide = other;
  server.handle(other);
  const client = await SmtpClient.over(clientSide, { tls: 'none', name: 'client.example' });
  return { client, delivered: () => delivered };
}

const envelope = { from: 'a@example.com', to: ['b@example.org'] };
const message = 'Subject: progress\r\n\r\nbody\r\n';

describe('a failed send says how far it got (error.sent)', () => {
  it("MAIL refused: 'nothing', and the connection stays open", async () => {
    const { client } = await connected(() => ({
      onMailFrom: () => reply(550, '5.7.1', 'not you'),
    }));
    const error = await errorOf(client.send(envelope, message));
    expect(error).toBeInstanceOf(SmtpError);
    expect(error.sent).toBe('nothing');
    expect(client.closed).toBe(false);
    await client.quit();
    expect(client.closed).toBe(true);
  });

  it("the connection lost before MAIL's reply, and a later call on the closed connection: 'nothing'", async () => {
    const { client } = await connected((drop) => ({ onMailFrom: () => drop() }));
    const error = await errorOf(client.send(envelope, message));
    expect(error).toBeInstanceOf(EsmtpError);
    expect(error.code).toBe('ECONNECTION');
    expect(error.sent).toBe('nothing');
    expect(client.closed).toBe(true);
    const again = await errorOf(client.send(envelope, message));
    expect([again.code, again.sent]).toEqual(['ECONNECTION', 'nothing']);
  });

  it("every recipient refused: 'envelope'", async () => {
    const { client } = await connected(() => ({
      onRcptTo: () => reply(550, '5.1.1', 'no such user'),
    }));
    const error = await errorOf(client.send(envelope, message));
    expect([error.code, error.sent]).toEqual(['EENVELOPE', 'envelope']);
    await client.quit();
  });

  for (const chunking of [false, true]) {
    const how = chunking ? 'BDAT' : 'DATA';

    it(`${how}: the connection lost in the middle of the message: 'envelope'`, async () => {
      let dropped!: () => void;
      const gone = new Promise<void>((resolve) => {
        dropped = resolve;
      });
      const { client, delivered } = await connected(
        (drop) => ({
          async onData(stream) {
            for await (const _ of stream) {
              drop();
              dropped();
            }
          },
        }),
        chunking,
      );
      // Parts of more than the 64 KiB the client gathers. The client holds one part back until the
      // next arrives (to send the last with the end): the first goes out when the second is read,
      // and the third comes once the server has cut the connection.
      const line = `${'x'.repeat(78)}\r\n`;
      async function* body() {
        yield line.repeat(1000);
        yield line.repeat(1000);
        await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 3000))]);
        yield line.repeat(1000);
      }
      const error = await errorOf(client.send(envelope, body()));
      expect([error.code, error.sent]).toEqual(['ECONNECTION', 'envelope']);
      expect(delivered()).toBe(0);
    });

    it(`${how}: the connection lost after the whole message, before the reply: 'message'`, async () => {
      const { client, delivered } = await connected(
        (drop) => ({
          async onData(stream) {
            await readAll(stream);
            drop();
          },
        }),
        chunking,
      );
      const error = await errorOf(client.send(envelope, message));
      expect([error.code, error.sent]).toEqual(['ECONNECTION', 'message']);
      expect(client.closed).toBe(true);
      expect(delivered()).toBe(0);
    });

    it(`${how}: the message refused after its end: 'message'`, async () => {
      const { client } = await connected(
        () => ({
          async onData(stream) {
            await readAll(stream);
            return reply(554, '5.7.1', 'spam');
          },
        }),
        chunking,
      );
      const error = await errorOf(client.send(envelope, message));
      expect(error).toBeInstanceOf(SmtpError);
      expect(error.sent).toBe('message');
      await client.quit();
    });
  }

  it('a send that succeeds leaves the connection open; an error from elsewhere has no sent', async () => {
    const { client, delivered } = await connected(() => ({}));
    await client.send(envelope, message);
    expect(delivered()).toBe(1);
    expect(client.closed).toBe(false);
    expect(new EsmtpError('ECONNECTION', 'x').sent).toBeUndefined();
    await client.quit();
  });
});
