import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';
import { SmtpError } from '../../src/protocol/errors.js';
import { SmtpServer } from '../../src/server/smtp-server.js';
import type { Logger } from '../../src/tracing/logger.js';
import type { ConnectionEvent, WireLine } from '../../src/tracing/wire.js';

const NAMES = [
  'esmtp:server:command',
  'esmtp:server:reply',
  'esmtp:server:connect',
  'esmtp:server:close',
  'esmtp:client:command',
  'esmtp:client:reply',
] as const;

type Seen = Record<(typeof NAMES)[number], (WireLine | ConnectionEvent)[]>;

const undo: (() => void)[] = [];
afterEach(() => {
  for (const u of undo.splice(0)) u();
});

/** Subscribes to every channel for the test's length. */
function listen(): Seen {
  const seen = Object.fromEntries(NAMES.map((n) => [n, []])) as unknown as Seen;
  for (const name of NAMES) {
    const listener = (message: unknown) => seen[name].push(message as WireLine);
    subscribe(name, listener);
    undo.push(() => unsubscribe(name, listener));
  }
  return seen;
}

/** A logger that keeps what it is given. */
function keeper(): Logger & { lines: { level: string; fields: object; message: string }[] } {
  const lines: { level: string; fields: object; message: string }[] = [];
  const at = (level: string) => (fields: object, message: string) => lines.push({ level, fields, message });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const PASSWORD = 'correct horse battery staple';

async function exchange(serverLogger?: Logger, clientLogger?: Logger) {
  const sessions: string[] = [];
  const server = new SmtpServer({
    allowInsecureAuth: true,
    auth: {
      mechanisms: ['LOGIN', 'PLAIN'],
      failureDelay: 0,
      authenticate: (c) => 'password' in c && c.password === PASSWORD,
    },
    onConnect(session) {
      sessions.push(session.id);
    },
    onRcptTo(to) {
      if (to.localPart === 'nobody') throw new SmtpError(550, '5.1.1', 'no such user');
    },
    ...(serverLogger === undefined ? {} : { logger: serverLogger }),
  });
  const { port } = await server.listen();
  const client = await SmtpClient.connect(`smtp://127.0.0.1:${port}`, {
    tls: 'none',
    allowInsecureAuth: true,
    auth: { username: 'alice', password: PASSWORD },
    ...(clientLogger === undefined ? {} : { logger: clientLogger }),
  });
  await client.send(
    { from: 'alice@example.com', to: ['bob@example.org', 'nobody@example.org'] },
    'Subject: x\r\n\r\nhi\r\n',
  );
  await client.quit();
  await server.close();
  return { sessions, clientId: client.id };
}

const lineOf = (m: WireLine | ConnectionEvent) => (m as WireLine).line;
const secrets = [PASSWORD, Buffer.from(PASSWORD).toString('base64'), Buffer.from('alice').toString('base64')];

describe('wire tracing through node:diagnostics_channel', () => {
  it('publishes both sides, line by line, with the session ids, and never an AUTH payload', async () => {
    const seen = listen();
    const { sessions, clientId } = await exchange();
    const server = seen['esmtp:server:reply'].map(lineOf);
    expect(server[0]).toMatch(/^220 /);
    expect(server).toContain('550 5.1.1 no such user');
    expect(seen['esmtp:server:reply'].every((m) => m.session === sessions[0])).toBe(true);
    const read = seen['esmtp:server:command'].map(lineOf);
    expect(read[0]).toBe('EHLO [127.0.0.1]');
    expect(read).toContain('AUTH PLAIN ***');
    expect(read).toContain('RCPT TO:<nobody@example.org>');
    expect(seen['esmtp:server:command'].every((m) => m.session === sessions[0])).toBe(true);
    const commands = seen['esmtp:client:command'].map(lineOf);
    expect(commands).toEqual(expect.arrayContaining(['RCPT TO:<bob@example.org>', 'QUIT']));
    expect(commands.some((l) => l.startsWith('MAIL FROM:<alice@example.com>'))).toBe(true);
    expect(commands.some((l) => /^AUTH (PLAIN|LOGIN)/.test(l))).toBe(true);
    expect(seen['esmtp:client:command'].every((m) => m.session === clientId)).toBe(true);
    expect(seen['esmtp:client:reply'].map(lineOf)).toContain('235 2.7.0 Authentication successful');
    const everything = NAMES.flatMap((n) => seen[n].map(lineOf)).join('\n');
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(seen['esmtp:server:connect']).toEqual([
      expect.objectContaining({ session: sessions[0], remoteAddress: '127.0.0.1' }),
    ]);
    expect(seen['esmtp:server:close']).toEqual([expect.objectContaining({ session: sessions[0] })]);
  });

  it('AUTH LOGIN: the response lines and the challenges are redacted', async () => {
    const seen = listen();
    const server = new SmtpServer({
      allowInsecureAuth: true,
      auth: { mechanisms: ['LOGIN'], failureDelay: 0, authenticate: () => true },
    });
    const { port } = await server.listen();
    const client = await SmtpClient.connect(`smtp://127.0.0.1:${port}`, {
      tls: 'none',
      allowInsecureAuth: true,
      auth: { username: 'alice', password: PASSWORD },
    });
    await client.quit();
    await server.close();
    expect(seen['esmtp:client:command'].map(lineOf)).toEqual([
      'EHLO [127.0.0.1]',
      'AUTH LOGIN',
      '***',
      '***',
      'QUIT',
    ]);
    expect(seen['esmtp:server:reply'].map(lineOf).filter((l) => l.startsWith('334'))).toEqual([
      '334 ***',
      '334 ***',
    ]);
    expect(seen['esmtp:server:command'].map(lineOf)).toEqual([
      'EHLO [127.0.0.1]',
      'AUTH LOGIN',
      '***',
      '***',
      'QUIT',
    ]);
  });
});

describe('the logger', () => {
  it('server: connections and refusals at info, the wire at debug, redacted', async () => {
    const logger = keeper();
    const { sessions } = await exchange(logger);
    const info = logger.lines.filter((l) => l.level === 'info').map((l) => l.message);
    expect(info).toEqual(['connect', 'refused: 550 5.1.1 no such user', 'disconnect']);
    const debug = logger.lines.filter((l) => l.level === 'debug');
    expect(debug.map((l) => l.message)).toContain('> 550 5.1.1 no such user');
    expect(debug.every((l) => (l.fields as { session: string }).session === sessions[0])).toBe(true);
    for (const secret of secrets) expect(JSON.stringify(logger.lines)).not.toContain(secret);
  });

  it('client: connected at info, the wire at debug, redacted', async () => {
    const logger = keeper();
    const { clientId } = await exchange(undefined, logger);
    expect(logger.lines.filter((l) => l.level === 'info').map((l) => l.message)).toEqual(['connected']);
    const debug = logger.lines.filter((l) => l.level === 'debug').map((l) => l.message);
    expect(debug).toContain('> RCPT TO:<bob@example.org>');
    expect(debug).toContain('< 250 2.1.0 Sender OK');
    expect(logger.lines.every((l) => (l.fields as { session: string }).session === clientId)).toBe(true);
    for (const secret of secrets) expect(JSON.stringify(logger.lines)).not.toContain(secret);
  });

  it('a failing hook goes to the logger when nobody listens for errors', async () => {
    const logger = keeper();
    const server = new SmtpServer({
      logger,
      onMailFrom() {
        throw new Error('database down');
      },
    });
    const { port } = await server.listen();
    const client = await SmtpClient.connect(`smtp://127.0.0.1:${port}`, { tls: 'none' });
    await expect(client.send({ from: 'a@example.com', to: ['b@example.org'] }, 'x\r\n')).rejects.toThrow();
    await client.quit();
    await server.close();
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual(['database down']);
  });
});
