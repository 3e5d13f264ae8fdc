import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testCertificates } from '../helpers/certs.js';
import { plainSend, type RunningServe, runSend, startServe, withoutTrace } from '../helpers/cli.js';
import { describeWithPeer, findProgram } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

const run = promisify(execFile);
const certs = testCertificates();
const dir = mkdtempSync(join(tmpdir(), 'esmtp-matrix-'));
const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), ca: join(dir, 'ca.pem') };
writeFileSync(files.cert, certs.localhost.cert);
writeFileSync(files.key, certs.localhost.key);
writeFileSync(files.ca, certs.ca);
const postfixTool = (name: string) =>
  [`/usr/sbin/${name}`, `/usr/local/sbin/${name}`].find((p) => existsSync(p));

describe('into esmtp serve, with STARTTLS and AUTH PLAIN', () => {
  let serve: RunningServe;
  const count = () => serve.messages().length;

  beforeAll(async () => {
    serve = await startServe(['--tls-cert', files.cert, '--tls-key', files.key, '--auth', 'alice:s3cret']);
  });
  afterAll(() => serve.stop());

  it('from nodemailer', async () => {
    const before = count();
    const transport = nodemailer.createTransport({
      host: 'localhost',
      port: serve.port,
      requireTLS: true,
      tls: { ca: certs.ca },
      auth: { user: 'alice', pass: 's3cret', method: 'PLAIN' },
    });
    const raw =
      'From: alice@example.com\r\nTo: bob@example.org\r\nSubject: nodemailer\r\n\r\nvia nodemailer\r\n.dot\r\n';
    await transport.sendMail({ envelope: { from: 'alice@example.com', to: ['bob@example.org'] }, raw });
    expect(count()).toBe(before + 1);
    expect(withoutTrace(serve.messages().at(-1) as string)).toBe(raw);
    expect(serve.messages().at(-1)).toMatch(/with ESMTPSA id/);
  });

  describeWithPeer('swaks', findProgram(['swaks'], ['--version']), (swaks) => {
    it('from swaks --tls --auth PLAIN', async () => {
      const before = count();
      await run(swaks, [
        ...[
          '--server',
          `127.0.0.1:${serve.port}`,
          '--tls',
          '--auth',
          'PLAIN',
          '--auth-user',
          'alice',
          '--auth-password',
          's3cret',
        ],
        ...[
          '--from',
          'alice@example.com',
          '--to',
          'bob@example.org',
          '--header',
          'Subject: swaks',
          '--body',
          'via swaks',
        ],
      ]);
      expect(count()).toBe(before + 1);
      const delivered = withoutTrace(serve.messages().at(-1) as string);
      expect(delivered).toContain('Subject: swaks\r\n');
      // swaks ends its body with blank lines of its own.
      expect(delivered).toMatch(/X-Mailer: swaks[^\r\n]*\r\n\r\nvia swaks\r\n(\r\n)*$/);
    });
  });

  describeWithPeer('msmtp', findProgram(['msmtp'], ['--version']), (msmtp) => {
    it('from msmtp with STARTTLS and AUTH PLAIN', async () => {
      const before = count();
      const child = execFile(msmtp, [
        ...[
          '--host=localhost',
          `--port=${serve.port}`,
          '--tls=on',
          '--tls-starttls=on',
          `--tls-trust-file=${files.ca}`,
        ],
        ...[
          '--auth=plain',
          '--user=alice',
          '--passwordeval=echo s3cret',
          '--from=alice@example.com',
          '--',
          'bob@example.org',
        ],
      ]);
      child.stdin?.end('Subject: msmtp\n\nvia msmtp\n');
      expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
      expect(count()).toBe(before + 1);
      expect(
        withoutTrace(serve.messages().at(-1) as string).endsWith('Subject: msmtp\r\n\r\nvia msmtp\r\n'),
      ).toBe(true);
    });
  });

  describeWithPeer("Python's smtplib", findProgram(['/usr/bin/python3', 'python3']), (python) => {
    it('from smtplib starttls() and login()', async () => {
      const before = count();
      await run(python, [
        join(import.meta.dirname, 'send_with_smtplib.py'),
        String(serve.port),
        'starttls',
        files.ca,
        'alice',
        's3cret',
      ]);
      expect(count()).toBe(before + 1);
      expect(withoutTrace(serve.messages().at(-1) as string)).toBe(
        'Subject: smtplib tls\r\n\r\nsecret body\r\n',
      );
    });
  });
});

describeWithPeer(
  "Postfix's smtp-source, for volume into esmtp serve",
  postfixTool('smtp-source'),
  (smtpSource) => {
    it('500 messages over 10 sessions, every one in the Maildir', async () => {
      const serve = await startServe([]);
      try {
        await run(smtpSource, [
          '-s',
          '10',
          '-m',
          '500',
          '-l',
          '2048',
          '-f',
          'alice@example.com',
          '-t',
          'bob@example.org',
          `127.0.0.1:${serve.port}`,
        ]);
        await vi.waitFor(() => expect(serve.messages()).toHaveLength(500), { timeout: 10_000 });
        expect(withoutTrace(serve.messages()[0] as string)).toMatch(/^From: <alice@example\.com>\r\n/);
      } finally {
        await serve.stop();
      }
    }, 60_000);
  },
);

describe('from esmtp send, with STARTTLS and AUTH PLAIN', () => {
  const message =
    'From: alice@example.com\r\nTo: bob@example.org\r\nSubject: esmtp send\r\n\r\nbody\r\n.dot\r\n';
  const sendArgs = (url: string) => [
    '--server',
    url,
    '--tls',
    'required',
    '--ca',
    files.ca,
    '--auth',
    'alice:s3cret',
    '--from',
    'alice@example.com',
    '--to',
    'bob@example.org',
  ];

  it('to smtp-server', async () => {
    const received: string[] = [];
    const server = new SMTPServer({
      key: certs.localhost.key,
      cert: certs.localhost.cert,
      authMethods: ['PLAIN'],
      logger: false,
      onAuth: (auth, _s, cb) =>
        auth.username === 'alice' && auth.password === 's3cret'
          ? cb(null, { user: 'alice' })
          : cb(new Error('no')),
      onData(stream, _session, cb) {
        const parts: Buffer[] = [];
        stream.on('data', (d: Buffer) => parts.push(d));
        stream.on('end', () => {
          received.push(Buffer.concat(parts).toString('latin1'));
          cb();
        });
      },
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    try {
      const outcome = await runSend(sendArgs(`smtp://localhost:${port}`), message);
      expect(outcome.status).toBe(0);
      expect(received).toEqual([message]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  describeWithPeer('aiosmtpd', findProgram(['/usr/bin/python3'], ['-c', 'import aiosmtpd']), (python) => {
    it('to aiosmtpd', async () => {
      const port = await freePort();
      const child: ChildProcess = spawn(
        python,
        [join(import.meta.dirname, 'aiosmtpd_server.py'), String(port), files.cert, files.key],
        {
          stdio: ['pipe', 'pipe', 'inherit'],
        },
      );
      const lines: string[] = [];
      const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      await new Promise<void>((resolve) =>
        reader.on('line', (l) => (l === 'ready' ? resolve() : lines.push(l))),
      );
      try {
        const outcome = await runSend(sendArgs(`smtp://localhost:${port}`), message);
        expect(outcome.status).toBe(0);
        await vi.waitFor(() => expect(lines).toHaveLength(1));
        const got = JSON.parse(lines[0] as string);
        expect(got).toMatchObject({ user: 'alice', tls: true, to: ['bob@example.org'] });
        expect(Buffer.from(got.content, 'base64').toString('latin1')).toBe(message);
      } finally {
        child.stdin?.end();
        child.kill();
      }
    });
  });

  describeWithPeer("Postfix's smtp-sink", postfixTool('smtp-sink'), (smtpSink) => {
    it('to smtp-sink (plain: it has no TLS)', async () => {
      const dump = mkdtempSync(join(tmpdir(), 'esmtp-matrix-sink-'));
      const { chmodSync } = await import('node:fs');
      chmodSync(dump, 0o777);
      const port = await freePort();
      const asUser = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
      const child = spawn(smtpSink, [...asUser, '-d', `${dump}/%Y%m%d%H%M%S.`, `127.0.0.1:${port}`, '10'], {
        stdio: 'ignore',
      });
      try {
        const outcome = await vi.waitFor(
          async () => {
            const result = await runSend(plainSend(port, 'alice@example.com', 'bob@example.org'), message);
            if (result.status !== 0) throw new Error(result.stderr);
            return result;
          },
          { timeout: 5000, interval: 100 },
        );
        expect(outcome.json.accepted).toEqual(['bob@example.org']);
        await vi.waitFor(() => expect(readdirSync(dump)).toHaveLength(1));
      } finally {
        child.kill();
      }
    });
  });
});
