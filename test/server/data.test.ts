import { describe, expect, it, vi } from 'vitest';
import { SmtpError } from '../../src/protocol/errors.js';
import { code, RawClient } from '../helpers/raw-client.js';
import { bufferedIn, collectingServer, readAll } from '../helpers/server.js';
import { FAKE_TERMINATORS, SMUGGLED_TRANSACTION } from '../helpers/smuggling.js';

async function ready(client: RawClient, rcpts = 1): Promise<void> {
  await client.command('MAIL FROM:<a@example.com>');
  for (let i = 0; i < rcpts; i++) await client.command(`RCPT TO:<b${i}@example.org>`);
}

/** Sends a BDAT command with its chunk, exactly (latin1, no CRLF added), and reads the reply. */
async function chunk(client: RawClient, wire: string) {
  client.send(Buffer.from(wire, 'latin1'));
  return client.reply();
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('DATA (RFC 5321 4.1.1.4)', () => {
  it('delivers the unstuffed body with the envelope', async () => {
    const { server, delivered } = collectingServer();
    const client = await RawClient.ready(server);
    await ready(client, 2);
    expect((await client.command('DATA')).code).toBe(354);
    client.send('Subject: t\r\n\r\n..dot\r\nend\r\n');
    await new Promise((r) => setTimeout(r, 20));
    expect(client.unread).toHaveLength(0); // no end yet, no reply
    expect(code(await client.command('.'))).toBe('250 2.0.0');
    expect(delivered[0]?.body).toBe('Subject: t\r\n\r\n.dot\r\nend\r\n');
    expect(delivered[0]?.envelope.recipients.map((r) => r.address.address)).toEqual([
      'b0@example.org',
      'b1@example.org',
    ]);
  });

  it('durability: the 250 is sent only after onData resolved', async () => {
    const gate = deferred();
    let stored = false;
    const { server } = collectingServer({
      async onData(message) {
        await readAll(message);
        await gate.promise;
        stored = true;
      },
    });
    const client = await RawClient.ready(server);
    await ready(client);
    await client.command('DATA');
    client.send('hello\r\n.\r\n');
    await new Promise((r) => setTimeout(r, 50));
    expect(client.unread).toHaveLength(0);
    gate.resolve();
    expect(code(await client.reply())).toBe('250 2.0.0');
    expect(stored).toBe(true);
  });

  it('durability: an onData SmtpError is the reply; anything else gives 451 and an error event', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const { server } = collectingServer({
      async onData(message) {
        await readAll(message);
        calls++;
        if (calls === 1) throw new SmtpError(554, '5.7.1', 'spam');
        throw new Error('disk full');
      },
    });
    server.on('error', (error) => errors.push(error));
    const client = await RawClient.ready(server);
    for (const expected of ['554 5.7.1', '451 4.3.0']) {
      await ready(client);
      await client.command('DATA');
      expect(code(await client.command('x\r\n.'))).toBe(expected);
    }
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('disk full');
  });

  it('durability: if the client vanishes mid-message, the stream errors and nothing is acknowledged', async () => {
    const outcome = deferred();
    let failure: unknown;
    const { server } = collectingServer({
      async onData(message) {
        try {
          await readAll(message);
        } catch (error) {
          failure = error;
        } finally {
          outcome.resolve();
        }
      },
    });
    const client = await RawClient.ready(server);
    await ready(client);
    await client.command('DATA');
    client.send('partial line\r\nmore');
    await new Promise((r) => setTimeout(r, 20));
    client.destroy();
    await outcome.promise;
    expect((failure as { code?: string }).code).toBe('ECONNECTION');
    await vi.waitFor(() => expect(server.connectionCount).toBe(0));
  });

  it('the socket pauses while onData is not reading (bounded buffering)', async () => {
    const gate = deferred();
    let peak = 0;
    const { server, delivered } = collectingServer({
      async onData(message, envelope) {
        await gate.promise;
        const body = await readAll(message);
        delivered.push({ envelope, body: body.toString('latin1') });
      },
    });
    const client = await RawClient.ready(server);
    await ready(client);
    await client.command('DATA');
    const line = `${'x'.repeat(998)}\r\n`;
    for (let i = 0; i < 2000; i++) {
      client.send(line);
      if (i % 100 === 0) {
        await new Promise((r) => setTimeout(r, 1));
        peak = Math.max(peak, bufferedIn(server));
      }
    }
    client.send('.\r\n');
    await new Promise((r) => setTimeout(r, 30));
    peak = Math.max(peak, bufferedIn(server));
    gate.resolve();
    expect(code(await client.reply())).toBe('250 2.0.0');
    expect(delivered[0]?.body.length).toBe(2000 * 1000);
    expect(peak).toBeLessThan(64 * 1024); // two megabytes were sent; only a chunk or so waited
  });

  it('input piling up while an async hook runs pauses the socket (bounded buffering)', async () => {
    const gate = deferred();
    let peak = 0;
    const { server } = collectingServer({
      async onRcptTo() {
        await gate.promise;
      },
    });
    const client = await RawClient.ready(server);
    await client.command('MAIL FROM:<a@example.com>');
    client.send('RCPT TO:<b@example.org>\r\n');
    const noops = 'NOOP\r\n'.repeat(10_000);
    for (let i = 0; i < 40; i++) {
      client.send(noops); // 2.4 MB of commands that cannot be read until the hook returns
      await new Promise((r) => setTimeout(r, 1));
      peak = Math.max(peak, bufferedIn(server));
    }
    await new Promise((r) => setTimeout(r, 30));
    peak = Math.max(peak, bufferedIn(server));
    gate.resolve();
    expect(code(await client.reply())).toBe('250 2.1.5');
    expect(code(await client.reply())).toBe('250 2.0.0'); // the NOOPs are answered in turn
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(256 * 1024);
    client.destroy();
  });

  it('hooks may answer synchronously: a plain return accepts, a thrown SmtpError refuses', async () => {
    const { server, delivered } = collectingServer({
      onMailFrom: () => undefined,
      onRcptTo(to) {
        if (to.address.startsWith('no')) throw new SmtpError(550, '5.1.1', 'no');
      },
    });
    const client = await RawClient.ready(server);
    expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('250 2.1.0');
    client.send('RCPT TO:<no@example.org>\r\nRCPT TO:<yes@example.org>\r\nDATA\r\n');
    expect((await client.replies(3)).map(code)).toEqual(['550 5.1.1', '250 2.1.5', '354']);
    expect(code(await client.command('hi\r\n.'))).toBe('250 2.0.0');
    expect(delivered[0]?.envelope.recipients.map((r) => r.address.address)).toEqual(['yes@example.org']);
  });

  it('a message of bare LFs is refused whole with 550 5.5.2 after its real end', async () => {
    const { server, delivered } = collectingServer();
    const client = await RawClient.ready(server);
    await ready(client);
    await client.command('DATA');
    client.send('line one\nline two\r\n.\r\nNOOP\r\n');
    expect((await client.replies(2)).map(code)).toEqual(['550 5.5.2', '250 2.0.0']);
    expect(delivered).toHaveLength(0);
  });

  it("bareLineEnds: 'normalize' turns bare CR and LF into CRLF", async () => {
    const { server, delivered } = collectingServer({ bareLineEnds: 'normalize' });
    const client = await RawClient.ready(server);
    await ready(client);
    await client.command('DATA');
    expect(code(await client.command('a\nb\rc\r\n.'))).toBe('250 2.0.0');
    expect(delivered[0]?.body).toBe('a\r\nb\r\nc\r\n');
  });

  describe('SMTP smuggling: a fake end of data followed by a whole transaction in the same write', () => {
    for (const policy of ['reject', 'normalize'] as const) {
      for (const fake of FAKE_TERMINATORS) {
        it(`${policy}: ${JSON.stringify(fake)} gives exactly one reply and at most one message`, async () => {
          const mails: string[] = [];
          const { server, delivered } = collectingServer({
            bareLineEnds: policy,
            onMailFrom: (from) => {
              mails.push(from?.address ?? '<>');
            },
          });
          const client = await RawClient.ready(server);
          await ready(client);
          await client.command('DATA');
          client.send(`Subject: real\r\n\r\nreal body${fake}${SMUGGLED_TRANSACTION}`);
          const reply = await client.reply();
          const clean = fake === '\r\n\0.\r\n'; // the only fake without a bare CR or LF
          if (policy === 'reject' && !clean) expect(code(reply)).toBe('550 5.5.2');
          else expect(code(reply)).toBe('250 2.0.0');
          expect(delivered.length).toBeLessThanOrEqual(1);
          if (delivered[0] !== undefined) expect(delivered[0].body).toContain('forged');
          expect(mails).toEqual(['a@example.com']); // the smuggled MAIL was never a command
          client.send('NOOP\r\n');
          expect(code(await client.reply())).toBe('250 2.0.0');
          expect(client.unread).toHaveLength(0);
        });
      }
    }
  });
});

describe('pipelining safety (RFC 2920)', () => {
  it('message bytes sent before the 354 get 554 5.5.0 and the connection is closed', async () => {
    const { server, delivered } = collectingServer();
    const client = await RawClient.ready(server);
    await ready(client);
    client.send('DATA\r\nSubject: eager\r\n\r\nx\r\n.\r\n');
    expect(code(await client.reply())).toBe('554 5.5.0');
    await client.closed();
    expect(delivered).toHaveLength(0);
  });

  it('allowEarlyData accepts a client that does not wait for the 354', async () => {
    const { server, delivered } = collectingServer({ allowEarlyData: true });
    const client = await RawClient.ready(server);
    client.send('MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nx\r\n.\r\n');
    expect((await client.replies(4)).map(code)).toEqual(['250 2.1.0', '250 2.1.5', '354', '250 2.0.0']);
    expect(delivered[0]?.body).toBe('x\r\n');
  });

  it('2.3: a pipelined group gets its replies in one write, in order', async () => {
    const { server } = collectingServer();
    const client = await RawClient.ready(server);
    const before = client.transcript.length;
    client.send(
      'MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n',
    );
    expect((await client.replies(4)).map(code)).toEqual(['250 2.1.0', '250 2.1.5', '250 2.1.5', '354']);
    expect(client.transcript.slice(before)).toMatch(
      /^250 2\.1\.0 .*\r\n250 2\.1\.5 .*\r\n250 2\.1\.5 .*\r\n354 .*\r\n$/,
    );
  });

  it('with every RCPT refused, a pipelined DATA gets 554 and what follows is read as commands', async () => {
    const { server, delivered } = collectingServer({
      onRcptTo() {
        throw new SmtpError(550, '5.1.1', 'unknown user');
      },
    });
    const client = await RawClient.ready(server);
    client.send('MAIL FROM:<a@example.com>\r\nRCPT TO:<x@example.org>\r\nDATA\r\nNOOP\r\nRSET\r\n');
    expect((await client.replies(5)).map(code)).toEqual([
      '250 2.1.0',
      '550 5.1.1',
      '554 5.5.1',
      '250 2.0.0',
      '250 2.0.0',
    ]);
    expect(delivered).toHaveLength(0);
  });
});

describe('CHUNKING (RFC 3030)', () => {
  it('2: BDAT n, a 250 per chunk, and BDAT n LAST ends the message', async () => {
    const { server, delivered } = collectingServer();
    const client = await RawClient.ready(server);
    await ready(client);
    client.send('BDAT 6\r\n.\r\nQU\r');
    expect(code(await client.reply())).toBe('250 2.0.0');
    client.send('BDAT 5 LAST\r\n\nIT\r\n');
    expect(code(await client.reply())).toBe('250 2.0.0');
    expect(delivered[0]?.body).toBe('.\r\nQU\r\nIT\r\n'); // never unstuffed, never commands
  });

  it('2: BDAT 0 LAST ends a chunked message', async () => {
    const { server, delivered } = collectingServer();
    const client = await RawClient.ready(server);
    await ready(client);
    expect(code(await chunk(client, 'BDAT 3\r\nabc'))).toBe('250 2.0.0');
    expect(code(await client.command('BDAT 0 LAST'))).toBe('250 2.0.0');
    expect(delivered[0]?.body).toBe('abc');
  });

  it('2: a refused BDAT still consumes its octets; they are never read as commands', async () => {
    const mails: string[] = [];
    const { server } = collectingServer({
      onMailFrom(from) {
        mails.push(from?.address ?? '<>');
      },
    });
    const client = await RawClient.ready(server);
    client.send('BDAT 30\r\nMAIL FROM:<evil@example.com>\r\nNOOP\r\n');
    expect((await client.replies(2)).map(code)).toEqual(['503 5.5.1', '250 2.0.0']);
    expect(mails).toEqual([]);
  });

  it('3: DATA after BDAT gives 503; BINARYMIME needs BDAT', async () => {
    const { server, delivered } = collectingServer();
    const client = await RawClient.ready(server);
    await ready(client);
    expect(code(await chunk(client, 'BDAT 2\r\nab'))).toBe('250 2.0.0');
    expect(code(await client.command('DATA'))).toBe('503 5.5.1');
    await client.command('RSET');
    await client.command('MAIL FROM:<a@example.com> BODY=BINARYMIME');
    await client.command('RCPT TO:<b@example.org>');
    expect(code(await client.command('DATA'))).toBe('503 5.5.1');
    expect(code(await chunk(client, 'BDAT 3 LAST\r\n\0\xff\r'))).toBe('250 2.0.0');
    expect(delivered[0]?.body).toBe('\0\xff\r');
    expect(delivered[0]?.envelope.params.body).toBe('BINARYMIME');
  });

  it('2: RSET drops a partial message: its stream errors, nothing is delivered', async () => {
    let failure: unknown;
    const { server, delivered } = collectingServer({
      async onData(message) {
        try {
          await readAll(message);
        } catch (error) {
          failure = error;
          throw error;
        }
      },
    });
    const client = await RawClient.ready(server);
    await ready(client);
    await chunk(client, 'BDAT 2\r\nab');
    expect(code(await client.command('RSET'))).toBe('250 2.0.0');
    await vi.waitFor(() => expect(failure).toBeInstanceOf(SmtpError));
    expect(delivered).toHaveLength(0);
    expect(code(await chunk(client, 'BDAT 1 LAST\r\nx'))).toBe('503 5.5.1');
  });

  it('RFC 1870 and 3030: the size limit is counted across chunks', async () => {
    const { server, delivered } = collectingServer({ limits: { messageSize: 10 } });
    const client = await RawClient.ready(server);
    await ready(client);
    expect(code(await chunk(client, 'BDAT 6\r\n123456'))).toBe('250 2.0.0');
    expect(code(await chunk(client, 'BDAT 6\r\n789012'))).toBe('552 5.3.4');
    expect(code(await chunk(client, 'BDAT 1 LAST\r\nx'))).toBe('552 5.3.4');
    expect(delivered).toHaveLength(0);
    expect(code(await chunk(client, 'BDAT 1 LAST\r\nx'))).toBe('503 5.5.1'); // that message is over
  });

  it('3030 4.2: chunks pipelined behind a refused one get its reply and are not counted as errors', async () => {
    const { server, delivered } = collectingServer({ limits: { messageSize: 100, invalidCommands: 3 } });
    const client = await RawClient.ready(server);
    await ready(client);
    const chunks = 40; // far more than the error limit
    client.send(`${'BDAT 10\r\n0123456789'.repeat(chunks)}BDAT 0 LAST\r\n`);
    const replies = (await client.replies(chunks + 1)).map(code);
    expect(replies.slice(0, 10)).toEqual(Array(10).fill('250 2.0.0'));
    expect(replies.slice(10)).toEqual(Array(chunks - 9).fill('552 5.3.4'));
    // The connection is still usable, and its error count untouched.
    await ready(client);
    expect(code(await chunk(client, 'BDAT 5 LAST\r\nhello'))).toBe('250 2.0.0');
    expect(delivered.map((d) => d.body)).toEqual(['hello']);
    expect(client.isClosed).toBe(false);
  });

  it('a BDAT whose size cannot be read gets 501 and the connection is closed', async () => {
    const { server } = collectingServer();
    const client = await RawClient.ready(server);
    await ready(client);
    expect(code(await client.command('BDAT 12x'))).toBe('501 5.5.4');
    await client.closed();
  });
});
