import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';
import { testCertificates } from '../helpers/certs.js';
import { describeWithPeer, findProgram } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

const certs = testCertificates();
const dir = mkdtempSync(join(tmpdir(), 'esmtp-client-interop-'));
writeFileSync(join(dir, 'cert.pem'), certs.localhost.cert);
writeFileSync(join(dir, 'key.pem'), certs.localhost.key);

const message =
  'From: alice@example.com\r\nTo: bob@example.org\r\nSubject: interop\r\n\r\nfirst line\r\n.leading dot\r\n..two dots\r\nlast\r\n';

describe("SmtpClient against nodemailer's smtp-server, STARTTLS and AUTH PLAIN", () => {
  const received: { from: string; to: string[]; user: unknown; secure: boolean; body: string }[] = [];
  let server: SMTPServer;
  let port: number;

  beforeAll(async () => {
    server = new SMTPServer({
      key: certs.localhost.key,
      cert: certs.localhost.cert,
      authMethods: ['PLAIN', 'LOGIN'],
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'alice' && auth.password === 's3cret') callback(null, { user: 'alice' });
        else callback(new Error('bad credentials'));
      },
      onData(stream, session, callback) {
        const parts: Buffer[] = [];
        stream.on('data', (d: Buffer) => parts.push(d));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user,
            secure: session.secure,
            body: Buffer.concat(parts).toString('latin1'),
          });
          callback();
        });
      },
    });
    port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends over STARTTLS with AUTH PLAIN; the message arrives byte for byte', async () => {
    const client = await SmtpClient.connect(`smtp://localhost:${port}`, {
      tls: 'required',
      tlsOptions: { ca: certs.ca },
      auth: { username: 'alice', password: 's3cret' },
    });
    expect(client.secure).toBe(true);
    const result = await client.send(
      { from: 'alice@example.com', to: ['bob@example.org', 'carol@example.org'] },
      message,
    );
    expect(result.accepted).toEqual(['bob@example.org', 'carol@example.org']);
    for (let i = 0; i < 3; i++)
      await client.send({ from: 'alice@example.com', to: ['bob@example.org'] }, message);
    await client.quit();
    expect(received).toHaveLength(4);
    expect(received[0]).toEqual({
      from: 'alice@example.com',
      to: ['bob@example.org', 'carol@example.org'],
      user: 'alice',
      secure: true,
      body: message,
    });
  });

  it('a wrong password is EAUTH', async () => {
    const error = await SmtpClient.connect(`smtp://localhost:${port}`, {
      tls: 'required',
      tlsOptions: { ca: certs.ca },
      auth: { username: 'alice', password: 'wrong' },
    }).then(
      () => undefined,
      (e) => e,
    );
    expect(error?.code).toBe('EAUTH');
  });
});

describeWithPeer('aiosmtpd', findProgram(['/usr/bin/python3'], ['-c', 'import aiosmtpd']), (python) => {
  let child: ChildProcess;
  let port: number;
  const messages: Record<string, unknown>[] = [];
  let onMessage: (() => void) | undefined;

  beforeAll(async () => {
    port = await freePort();
    child = spawn(
      python,
      [
        join(import.meta.dirname, 'aiosmtpd_server.py'),
        String(port),
        join(dir, 'cert.pem'),
        join(dir, 'key.pem'),
      ],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`aiosmtpd exited with ${code}`)));
      lines.on('line', (line) => {
        if (line === 'ready') resolve();
        else {
          messages.push(JSON.parse(line));
          onMessage?.();
        }
      });
    });
  });

  afterAll(() => {
    child.stdin?.end();
    child.kill();
  });

  it('sends over STARTTLS with AUTH PLAIN; the message arrives byte for byte', async () => {
    const client = await SmtpClient.connect(`smtp://localhost:${port}`, {
      tls: 'required',
      tlsOptions: { ca: certs.ca },
      auth: { username: 'alice', password: 's3cret', mechanism: 'PLAIN' },
    });
    const arrived = new Promise<void>((resolve) => {
      onMessage = resolve;
    });
    const result = await client.send({ from: 'alice@example.com', to: ['bob@example.org'] }, message);
    expect(result.reply.code).toBe(250);
    await arrived;
    await client.quit();
    const got = messages.at(-1) as Record<string, unknown>;
    expect(got).toMatchObject({
      from: 'alice@example.com',
      to: ['bob@example.org'],
      user: 'alice',
      tls: true,
    });
    expect(Buffer.from(got.content as string, 'base64').toString('latin1')).toBe(message);
  });

  it('aiosmtpd refuses AUTH before STARTTLS; the client never tries it in the clear', async () => {
    const error = await SmtpClient.connect(`smtp://localhost:${port}`, {
      tls: 'none',
      auth: { username: 'alice', password: 's3cret' },
    }).then(
      () => undefined,
      (e) => e,
    );
    expect(error?.code).toBe('EAUTH');
  });
});
