import { describe, expect, it } from 'vitest';
import type { SmtpServerOptions } from '../../src/server/options.js';
import { relayPolicy } from '../../src/server/relay-policy.js';
import { code, RawClient } from '../helpers/raw-client.js';
import { collectingServer } from '../helpers/server.js';

const PLAIN = `AUTH PLAIN ${Buffer.from('\0alice\0s3cret').toString('base64')}`;

/** A client after EHLO and MAIL, over a transport that reports TLS (so that AUTH is offered). */
async function inTransaction(options: SmtpServerOptions, before: string[] = []) {
  const { server, delivered } = collectingServer({
    auth: {
      authenticate: (c) => c.mechanism === 'PLAIN' && c.username === 'alice' && c.password === 's3cret',
    },
    ...options,
  });
  const client = RawClient.connect(server, { secure: true });
  await client.reply();
  await client.command('EHLO client.example');
  for (const line of before) await client.command(line);
  expect(code(await client.command('MAIL FROM:<someone@elsewhere.net>'))).toBe('250 2.1.0');
  return { client, delivered };
}

async function rcpts(client: RawClient, ...addresses: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const address of addresses) out.push(code(await client.command(`RCPT TO:<${address}>`)));
  return out;
}

describe('relayPolicy: an MX for its own domains', () => {
  const mx = { onRcptTo: relayPolicy({ localDomains: ['example.com', '.example.org', '[192.0.2.1]'] }) };

  it('takes its domains from anyone, in any case, and refuses a relay attempt with 550 5.7.1', async () => {
    const { client, delivered } = await inTransaction(mx);
    expect(
      await rcpts(
        client,
        'a@example.com',
        'b@EXAMPLE.COM',
        'c@mail.example.org',
        'd@[192.0.2.1]',
        'Postmaster',
        'e@evil-example.com',
        'f@example.org',
        'g@[192.0.2.2]',
      ),
    ).toEqual([
      '250 2.1.5',
      '250 2.1.5',
      '250 2.1.5',
      '250 2.1.5',
      '250 2.1.5',
      '550 5.7.1',
      '550 5.7.1',
      '550 5.7.1',
    ]);
    expect(code(await client.command('DATA'))).toBe('354');
    expect(code(await client.command('Subject: t\r\n\r\nhi\r\n.'))).toBe('250 2.0.0');
    expect(delivered[0]?.envelope.recipients.map((r) => r.address.address)).toEqual([
      'a@example.com',
      'b@EXAMPLE.COM',
      'c@mail.example.org',
      'd@[192.0.2.1]',
      'Postmaster',
    ]);
  });

  it('an IDN domain matches in U-labels and in A-labels (SMTPUTF8)', async () => {
    const { server } = collectingServer({ onRcptTo: relayPolicy({ localDomains: ['bücher.example'] }) });
    const client = await RawClient.ready(server);
    expect(code(await client.command('MAIL FROM:<a@elsewhere.net> SMTPUTF8'))).toBe('250 2.1.0');
    expect(await rcpts(client, 'jörg@BÜCHER.example', 'x@xn--bcher-kva.example', 'y@bucher.example')).toEqual(
      ['250 2.1.5', '250 2.1.5', '550 5.7.1'],
    );
  });

  it('refuses a local address that routes on (quoted @, the percent hack, a bang path) unless the client may relay', async () => {
    const routed = [
      '"bob@elsewhere.net"@example.com',
      'bob%elsewhere.net@example.com',
      'elsewhere.net!bob@example.com',
    ];
    const { client } = await inTransaction(mx);
    expect(await rcpts(client, ...routed, 'bob@example.com')).toEqual([
      '550 5.7.1',
      '550 5.7.1',
      '550 5.7.1',
      '250 2.1.5',
    ]);
    const trusted = await inTransaction({
      onRcptTo: relayPolicy({ localDomains: ['example.com'], relayFor: { networks: ['127.0.0.1'] } }),
    });
    expect(await rcpts(trusted.client, ...routed)).toEqual(['250 2.1.5', '250 2.1.5', '250 2.1.5']);
  });

  it('a relay attempt from an authenticated client is refused too: an MX relays for nobody', async () => {
    const { client } = await inTransaction(mx, [PLAIN]);
    expect(await rcpts(client, 'x@elsewhere.net')).toEqual(['550 5.7.1']);
  });

  it('mailboxExists refuses an unknown user with 550 5.1.1, sync or async; postmaster is never looked up', async () => {
    const asked: string[] = [];
    const users = new Set(['alice', 'bob']);
    for (const lookup of [
      (local: string) => users.has(local),
      async (local: string) => {
        await new Promise((r) => setTimeout(r, 5));
        return users.has(local);
      },
    ]) {
      const { client } = await inTransaction({
        onRcptTo: relayPolicy({
          localDomains: ['example.com'],
          mailboxExists(to, session) {
            expect(session.remoteAddress).toBe('127.0.0.1');
            asked.push(to.address);
            return lookup(to.localPart.toLowerCase());
          },
        }),
      });
      expect(
        await rcpts(
          client,
          'alice@example.com',
          'mallory@example.com',
          'PostMaster@example.com',
          'x@elsewhere.net',
        ),
      ).toEqual(['250 2.1.5', '550 5.1.1', '250 2.1.5', '550 5.7.1']);
    }
    expect(asked).toEqual([
      'alice@example.com',
      'mallory@example.com',
      'alice@example.com',
      'mallory@example.com',
    ]);
  });
});

describe('limits.errors against a dictionary attack', () => {
  it('unknown recipients, n of them, then 421 4.7.0, the connection closed, and a log line', async () => {
    const lines: string[] = [];
    const none = () => {};
    const { client } = await inTransaction({
      limits: { errors: 3 },
      logger: { debug: none, warn: none, error: none, info: (_fields, message) => lines.push(message) },
      onRcptTo: relayPolicy({ localDomains: ['example.com'], mailboxExists: async () => false }),
    });
    expect(await rcpts(client, 'aaron@example.com', 'abby@example.com')).toEqual(['550 5.1.1', '550 5.1.1']);
    client.send('RCPT TO:<abe@example.com>\r\nRCPT TO:<abel@example.com>\r\n');
    expect((await client.replies(2)).map(code)).toEqual(['550 5.1.1', '421 4.7.0']);
    await client.closed();
    expect(lines).toContain('refused: 421 4.7.0 Too many failed commands, closing connection');
  });
});

describe('relayPolicy: a submission server', () => {
  const submission = {
    onRcptTo: relayPolicy({ relayFor: { authenticated: true, networks: ['10.0.0.0/8'] } }),
  };

  it('refuses every recipient of a client that has not authenticated, from outside its networks', async () => {
    const { client } = await inTransaction(submission);
    expect(await rcpts(client, 'bob@example.com', 'carol@elsewhere.net')).toEqual(['550 5.7.1', '550 5.7.1']);
  });

  it('an authenticated client relays to any domain', async () => {
    const { client, delivered } = await inTransaction(submission, [PLAIN]);
    expect(await rcpts(client, 'bob@example.com', 'carol@elsewhere.net')).toEqual(['250 2.1.5', '250 2.1.5']);
    expect(code(await client.command('DATA'))).toBe('354');
    expect(code(await client.command('Subject: t\r\n\r\nhi\r\n.'))).toBe('250 2.0.0');
    expect(delivered).toHaveLength(1);
  });

  it('a client from a trusted network relays without AUTH', async () => {
    const trusted = relayPolicy({ relayFor: { networks: ['127.0.0.0/8'] } });
    const { client } = await inTransaction({ onRcptTo: trusted });
    expect(await rcpts(client, 'carol@elsewhere.net')).toEqual(['250 2.1.5']);
  });

  it('local domains and relaying together: anyone to the local domain, users anywhere', async () => {
    const both = {
      onRcptTo: relayPolicy({ localDomains: ['example.com'], relayFor: { authenticated: true } }),
    };
    const stranger = await inTransaction(both);
    expect(await rcpts(stranger.client, 'bob@example.com', 'carol@elsewhere.net')).toEqual([
      '250 2.1.5',
      '550 5.7.1',
    ]);
    const user = await inTransaction(both, [PLAIN]);
    expect(await rcpts(user.client, 'bob@example.com', 'carol@elsewhere.net')).toEqual([
      '250 2.1.5',
      '250 2.1.5',
    ]);
  });
});

describe('relayPolicy: options', () => {
  it('refuses options that would refuse everything or that it cannot read', () => {
    expect(() => relayPolicy({})).toThrow(/localDomains, relayFor, or both/);
    expect(() => relayPolicy({ mailboxExists: () => true, relayFor: { authenticated: true } })).toThrow(
      /mailboxExists/,
    );
    expect(() => relayPolicy({ localDomains: ['example..com'] })).toThrow(/localDomains: "example..com"/);
    expect(() => relayPolicy({ relayFor: { networks: ['10.0.0.0/40'] } })).toThrow(/relayFor\.networks/);
  });
});
