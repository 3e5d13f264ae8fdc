import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';
import { SmtpError } from '../../src/protocol/errors.js';
import type { ServerHooks } from '../../src/server/options.js';
import { SmtpServer } from '../../src/server/smtp-server.js';

// Far larger than the buffers of the stream and the sockets: a hook that stops reading leaves
// most of it unread, and the server must read it past itself.
const BIG = `Subject: big\r\n\r\n${`${'x'.repeat(1022)}\r\n`.repeat(2048)}`;

const servers: SmtpServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close({ timeout: 100 });
});

/**
 * Sends the big message and then a small one on the same connection. The client's data timeout is
 * far shorter than the server's data deadline (10 minutes): a server that stalls fails the send.
 */
async function sendTwice(onData: ServerHooks['onData']) {
  const server = new SmtpServer({ onData });
  servers.push(server);
  const { port } = await server.listen();
  const client = await SmtpClient.connect(`smtp://127.0.0.1:${port}`, {
    tls: 'none',
    timeouts: { data: 5000, command: 5000 },
  });
  const envelope = { from: 'a@example.com', to: ['b@example.org'] };
  const outcome = async (message: string) => {
    try {
      return (await client.send(envelope, message)).reply.code;
    } catch (error) {
      return (error as SmtpError).reply?.code ?? (error as Error).message;
    }
  };
  const first = await outcome(BIG);
  const second = await outcome('Subject: small\r\n\r\nhi\r\n');
  await client.quit();
  return [first, second];
}

describe('an onData hook that stops reading is answered at once (the rest is read and dropped)', () => {
  it('for await ... break, then return: accepted', async () => {
    const codes = await sendTwice(async (message) => {
      for await (const _ of message) break;
    });
    expect(codes).toEqual([250, 250]);
  });

  it('throw an SmtpError before reading all: its reply', async () => {
    let calls = 0;
    const codes = await sendTwice(async (message) => {
      if (calls++ > 0) return;
      for await (const _ of message) throw new SmtpError(552, '5.3.4', 'too big for this mailbox');
    });
    expect(codes).toEqual([552, 250]);
  });

  it('throw without reading at all: its reply', async () => {
    let calls = 0;
    const codes = await sendTwice(async () => {
      if (calls++ === 0) throw new SmtpError(554, '5.7.1', 'no thanks');
    });
    expect(codes).toEqual([554, 250]);
  });

  it('a pipeline whose writable fails (ENOSPC): 451 4.3.0', async () => {
    let calls = 0;
    const codes = await sendTwice(async (message) => {
      if (calls++ > 0) return void message.resume();
      let written = 0;
      const disk = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          written += chunk.length;
          if (written > 64 * 1024)
            callback(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
          else callback();
        },
      });
      await pipeline(message, disk);
    });
    expect(codes).toEqual([451, 250]);
  });

  it('message.destroy(), then return: accepted', async () => {
    const codes = await sendTwice(async (message) => {
      message.destroy();
    });
    expect(codes).toEqual([250, 250]);
  });

  it('message.destroy(), then a while before returning: answered when the hook returns', async () => {
    const codes = await sendTwice(async (message) => {
      message.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
    expect(codes).toEqual([250, 250]);
  });
});

describe("the message stream is the hook's to use", () => {
  it('a hook may set properties of its own on it (the server keeps its own out of reach)', async () => {
    let read = 0;
    const codes = await sendTwice(async (message) => {
      Object.assign(message, { delivery: { id: 1 }, readAgain: 0, destroyed: false });
      for await (const chunk of message) read += (chunk as Uint8Array).length;
    });
    expect(codes).toEqual([250, 250]);
    expect(read).toBeGreaterThan(BIG.length);
  });
});
