import { describe, expect, it, vi } from 'vitest';
import { SmtpError } from '../../src/protocol/errors.js';
import { reply } from '../../src/protocol/reply.js';
import { SmtpServer } from '../../src/server/smtp-server.js';
import { code, RawClient } from '../helpers/raw-client.js';
import { collectingServer } from '../helpers/server.js';

describe('hook refusals', () => {
  it('an SmtpError with a positive code is a bug in the hook: 451 and an error event, never a 250', async () => {
    const { server } = collectingServer({
      onRcptTo(to) {
        if (to.localPart === 'positive') throw new SmtpError(250, '2.1.5', 'fine, but refused');
      },
    });
    const errors: unknown[] = [];
    server.on('error', (error) => errors.push(error));
    const client = await RawClient.ready(server);
    expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('250 2.1.0');
    expect(code(await client.command('RCPT TO:<positive@example.org>'))).toBe('451 4.3.0');
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/refused with 250/);
    // The recipient was not added, and the client was not told it was.
    expect(code(await client.command('DATA'))).toBe('554 5.5.1');
  });

  it('an authenticate hook that throws a positive SmtpError does not authenticate', async () => {
    const { server } = collectingServer({
      allowInsecureAuth: true,
      auth: {
        authenticate() {
          throw new SmtpError(235, '2.7.0', 'welcome?');
        },
        failureDelay: 0,
      },
    });
    const errors: unknown[] = [];
    server.on('error', (error) => errors.push(error));
    const client = await RawClient.ready(server);
    const credentials = Buffer.from('\0alice\0secret').toString('base64');
    expect(code(await client.command(`AUTH PLAIN ${credentials}`))).toBe('454 4.7.0');
    expect(errors).toHaveLength(1);
    expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('250 2.1.0');
  });

  it('a proper refusal is sent as it is, 4xx and 5xx alike', async () => {
    const { server } = collectingServer({
      onRcptTo(to) {
        if (to.localPart === 'later') throw new SmtpError(450, '4.2.1', 'try later');
        throw new SmtpError(550, '5.1.1', 'no such user');
      },
    });
    const client = await RawClient.ready(server);
    await client.command('MAIL FROM:<a@example.com>');
    expect(code(await client.command('RCPT TO:<later@example.org>'))).toBe('450 4.2.1');
    expect(code(await client.command('RCPT TO:<gone@example.org>'))).toBe('550 5.1.1');
  });
});

describe('hooks that answer with a Reply', () => {
  it('a 2xx reply replaces the standard one: onConnect, onMailFrom, onRcptTo, onData', async () => {
    const { server } = collectingServer({
      onConnect: () => reply(220, undefined, 'mx.test welcome'),
      onMailFrom: () => reply(250, '2.1.0', 'sender noted'),
      onRcptTo: async () => reply(251, '2.1.5', 'will forward'),
      async onData(message) {
        for await (const _ of message);
        return reply(250, '2.0.0', 'Queued as 4F2A1');
      },
    });
    const client = RawClient.connect(server);
    expect((await client.reply()).lines).toEqual(['mx.test welcome']);
    await client.command('EHLO c.example');
    expect(await client.command('MAIL FROM:<a@example.com>')).toMatchObject({
      code: 250,
      lines: ['sender noted'],
    });
    expect(code(await client.command('RCPT TO:<b@example.org>'))).toBe('251 2.1.5');
    await client.command('DATA');
    expect(await client.command('hi\r\n.')).toMatchObject({ code: 250, lines: ['Queued as 4F2A1'] });
  });

  it('a 4xx or 5xx reply refuses, as throwing an SmtpError would', async () => {
    const { server, delivered } = collectingServer({
      onRcptTo: (to) => (to.localPart === 'full' ? reply(452, '4.2.2', 'mailbox full') : undefined),
      onData: () => reply(554, '5.6.0', 'content refused'),
    });
    const client = await RawClient.ready(server);
    await client.command('MAIL FROM:<a@example.com>');
    expect(code(await client.command('RCPT TO:<full@example.org>'))).toBe('452 4.2.2');
    expect(code(await client.command('RCPT TO:<b@example.org>'))).toBe('250 2.1.5');
    await client.command('DATA');
    expect(code(await client.command('hi\r\n.'))).toBe('554 5.6.0');
    expect(delivered).toHaveLength(0);
  });

  it('a 3xx reply is a bug: 451 and an error event; other values are not answers', async () => {
    const { server } = collectingServer({
      onMailFrom: () => reply(354, undefined, 'go on?'),
      onRcptTo: () => 42 as unknown as undefined,
    });
    const errors: Error[] = [];
    server.on('error', (error) => errors.push(error));
    const client = await RawClient.ready(server);
    expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('451 4.3.0');
    expect(errors[0]?.message).toMatch(/answered with 354/);
    expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('451 4.3.0');
  });
});

describe('per-connection state', () => {
  it('state() makes each connection its own, typed, shared by its hooks', async () => {
    interface Counts {
      messages: number;
      recipients: string[];
    }
    const seen: Counts[] = [];
    const server = new SmtpServer<Counts>({
      state: () => ({ messages: 0, recipients: [] }),
      onRcptTo(to, _params, session) {
        session.state.recipients.push(to.address);
      },
      async onData(message, _envelope, session) {
        for await (const _ of message);
        session.state.messages++;
      },
      onClose(session) {
        seen.push(session.state);
      },
    });
    const one = await RawClient.ready(server);
    for (const to of ['b@example.org', 'c@example.org']) {
      await one.command('MAIL FROM:<a@example.com>');
      await one.command(`RCPT TO:<${to}>`);
      await one.command('DATA');
      await one.command('hi\r\n.');
    }
    await one.command('QUIT');
    const two = await RawClient.ready(server);
    await two.command('QUIT');
    await vi.waitFor(() => expect(seen).toHaveLength(2));
    expect(seen).toEqual([
      { messages: 2, recipients: ['b@example.org', 'c@example.org'] },
      { messages: 0, recipients: [] },
    ]);
  });

  it('authenticate may return { user, data }: session.authData, while authenticated', async () => {
    const data: unknown[] = [];
    const { server } = collectingServer({
      allowInsecureAuth: true,
      auth: {
        failureDelay: 0,
        authenticate: ({ username }) => ({ user: username, data: { quota: 10, name: username } }),
      },
      onMailFrom(_from, _params, session) {
        data.push(session.authData);
      },
    });
    const client = await RawClient.ready(server);
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RSET');
    expect(code(await client.command(`AUTH PLAIN ${Buffer.from('\0alice\0pw').toString('base64')}`))).toBe(
      '235 2.7.0',
    );
    await client.command('MAIL FROM:<a@example.com>');
    expect(data).toEqual([undefined, { quota: 10, name: 'alice' }]);
  });
});

describe('events', () => {
  it('listening, connection, disconnect and close, with the session', async () => {
    const server = new SmtpServer();
    const events: string[] = [];
    server.on('listening', (address) => events.push(`listening ${typeof address.port}`));
    server.on('connection', (session) => events.push(`connection ${session.remoteAddress}`));
    server.on('disconnect', (session) => events.push(`disconnect ${session.id === undefined}`));
    server.on('close', () => events.push('close'));
    await server.listen();
    const client = await RawClient.ready(server);
    await client.command('QUIT');
    await vi.waitFor(() => expect(events).toContain('disconnect false'));
    await server.close();
    expect(events).toEqual(['listening number', 'connection 127.0.0.1', 'disconnect false', 'close']);
  });

  it('with no error listener a hook failure goes to console.error, once, with the session id', async () => {
    const logged: unknown[][] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args) => {
      logged.push(args);
    });
    try {
      const { server } = collectingServer({
        onMailFrom() {
          throw new Error('database down');
        },
      });
      const client = await RawClient.ready(server);
      expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('451 4.3.0');
      expect(logged).toHaveLength(1);
      expect(String(logged[0]?.[0])).toMatch(/^esmtp: session \S+:$/);
      expect(String(logged[0]?.[1])).toMatch(/database down/);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('LMTP: one outcome per recipient (RFC 2033 4.2)', () => {
  it('onData returns an outcome for each accepted recipient: a full mailbox fails only its own', async () => {
    const { server, delivered } = collectingServer({
      lmtp: true,
      async onData(message, envelope) {
        for await (const _ of message);
        return envelope.recipients.map((r) =>
          r.address.localPart === 'full'
            ? new SmtpError(452, '4.2.2', 'mailbox full')
            : r.address.localPart === 'kept'
              ? reply(250, '2.0.0', `stored for ${r.address.address}`)
              : undefined,
        );
      },
    });
    const client = RawClient.connect(server);
    await client.reply();
    await client.command('LHLO c.example');
    await client.command('MAIL FROM:<a@example.com>');
    for (const to of ['kept', 'full', 'plain']) await client.command(`RCPT TO:<${to}@example.org>`);
    await client.command('DATA');
    client.send('hi\r\n.\r\n');
    const replies = await client.replies(3);
    expect(replies.map((r) => `${code(r)} ${r.lines[0]}`)).toEqual([
      '250 2.0.0 stored for kept@example.org',
      '452 4.2.2 mailbox full',
      '250 2.0.0 Message accepted',
    ]);
    expect(delivered).toHaveLength(0); // this onData stored nothing itself
  });

  it('an array of the wrong length is a bug: 451 for every recipient and an error event', async () => {
    const { server } = collectingServer({ lmtp: true, onData: () => [undefined] });
    const errors: Error[] = [];
    server.on('error', (error) => errors.push(error));
    const client = RawClient.connect(server);
    await client.reply();
    await client.command('LHLO c.example');
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RCPT TO:<b@example.org>');
    await client.command('RCPT TO:<c@example.org>');
    await client.command('DATA');
    client.send('hi\r\n.\r\n');
    expect((await client.replies(2)).map(code)).toEqual(['451 4.3.0', '451 4.3.0']);
    expect(errors[0]?.message).toMatch(/1 outcomes for 2 recipients/);
  });
});

describe('onReset', () => {
  it('is told once per transaction why it ended', async () => {
    const reasons: string[] = [];
    const { server } = collectingServer({
      onReset(reason) {
        reasons.push(reason);
      },
    });
    const client = await RawClient.ready(server);
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RSET');
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RCPT TO:<b@example.org>');
    await client.command('DATA');
    await client.command('hi\r\n.');
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('EHLO again.example');
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('QUIT');
    await vi.waitFor(() => expect(reasons).toHaveLength(4));
    expect(reasons).toEqual(['rset', 'message', 'helo', 'aborted']);
  });
});

describe('onHelo may answer', () => {
  it('EHLO: the reply gives the first line and the capabilities follow; HELO: the reply as it is', async () => {
    const { server } = collectingServer({
      onHelo: (name) => reply(250, undefined, `mx.test greets ${name}`),
    });
    const client = RawClient.connect(server);
    await client.reply();
    const ehlo = await client.command('EHLO c.example');
    expect(ehlo.lines[0]).toBe('mx.test greets c.example');
    expect(ehlo.lines).toContain('PIPELINING');
    expect((await client.command('HELO c.example')).lines).toEqual(['mx.test greets c.example']);
  });
});
