import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scramKeys } from '../../src/sasl/scram.js';
import { testCertificates } from '../helpers/certs.js';
import { describeWithPeer, findProgram } from '../helpers/peers.js';
import { collectingServer, type Delivered } from '../helpers/server.js';

const run = promisify(execFile);
const certs = testCertificates();
const dir = mkdtempSync(join(tmpdir(), 'esmtp-interop-'));
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, certs.ca);

/** A server with STARTTLS, implicit TLS and AUTH (alice / s3cret), requiring both. */
async function tlsAuthServer(secure: boolean) {
  const keys = await scramKeys('s3cret', { iterations: 4096 });
  const logins: string[] = [];
  const { server, delivered } = collectingServer({
    tls: certs.localhost,
    secure,
    requireTls: !secure,
    requireAuth: true,
    auth: {
      mechanisms: ['SCRAM-SHA-256', 'CRAM-MD5', 'PLAIN', 'LOGIN'],
      failureDelay: 10,
      authenticate(credentials) {
        logins.push(credentials.mechanism);
        if (credentials.mechanism === 'CRAM-MD5') return credentials.verify('s3cret');
        if (credentials.mechanism === 'SCRAM-SHA-256') return credentials.username === 'alice';
        return (
          credentials.mechanism !== 'XOAUTH2' &&
          credentials.username === 'alice' &&
          credentials.password === 's3cret'
        );
      },
      scramKeys: (user) => (user === 'alice' ? keys : undefined),
    },
  });
  const { port } = await server.listen();
  return { server, delivered, logins, port };
}

describe('TLS and AUTH interop with real clients', () => {
  let starttls: Awaited<ReturnType<typeof tlsAuthServer>>;
  let implicit: Awaited<ReturnType<typeof tlsAuthServer>>;

  beforeAll(async () => {
    starttls = await tlsAuthServer(false);
    implicit = await tlsAuthServer(true);
  });

  afterAll(async () => {
    await starttls.server.close({ timeout: 500 });
    await implicit.server.close({ timeout: 500 });
  });

  const last = (delivered: Delivered[]) => delivered.at(-1) as Delivered;
  /** swaks arguments for a message from alice to bob on `port`, authenticating with `password`. */
  const swaksArgs = (port: number, password: string, ...extra: string[]) => [
    '--server',
    `127.0.0.1:${port}`,
    '--auth-user',
    'alice',
    '--auth-password',
    password,
    '--from',
    'alice@example.com',
    '--to',
    'bob@example.org',
    ...extra,
  ];

  describeWithPeer('swaks', findProgram(['swaks'], ['--version']), (swaks) => {
    it('--tls --auth PLAIN', async () => {
      const { stdout } = await run(
        swaks,
        swaksArgs(
          starttls.port,
          's3cret',
          '--tls',
          '--auth',
          'PLAIN',
          '--helo',
          'client.example',
          '--header',
          'Subject: swaks',
          '--body',
          'body from swaks',
        ),
      );
      expect(stdout).toMatch(/<~ {2}235 2\.7\.0/);
      expect(last(starttls.delivered).body).toContain('Subject: swaks\r\n');
      expect(last(starttls.delivered).body).toContain('\r\n\r\nbody from swaks\r\n');
      expect(starttls.logins.at(-1)).toBe('PLAIN');
    });

    it('--tls-on-connect --auth LOGIN (implicit TLS)', async () => {
      await run(
        swaks,
        swaksArgs(implicit.port, 's3cret', '--tls-on-connect', '--auth', 'LOGIN', '--body', 'implicit'),
      );
      expect(last(implicit.delivered).body).toContain('implicit');
      expect(implicit.logins.at(-1)).toBe('LOGIN');
    });

    it('a wrong password is refused with 535', async () => {
      const failed = await run(swaks, swaksArgs(starttls.port, 'wrong', '--tls', '--auth', 'PLAIN')).then(
        () => 'sent',
        (e: { stdout: string }) => e.stdout,
      );
      expect(failed).toMatch(/<~\* 535 5\.7\.8/);
    });
  });

  describeWithPeer('msmtp', findProgram(['msmtp'], ['--version']), (msmtp) => {
    it('STARTTLS with certificate checks, then SCRAM-SHA-256', async () => {
      const child = execFile(msmtp, [
        '--host=127.0.0.1',
        `--port=${starttls.port}`,
        '--tls=on',
        '--tls-starttls=on',
        `--tls-trust-file=${caFile}`,
        '--tls-certcheck=on',
        '--auth=scram-sha-256',
        '--user=alice',
        '--passwordeval=echo s3cret',
        '--domain=client.example',
        '--from=alice@example.com',
        '--',
        'bob@example.org',
      ]);
      child.stdin?.end('Subject: msmtp\n\nfrom msmtp\n.leading dot\n');
      const status = await new Promise((resolve) => child.on('close', resolve));
      expect(status).toBe(0);
      // msmtp adds From, Date and Message-ID headers; the rest arrives as written, the dot unstuffed.
      expect(last(starttls.delivered).body).toMatch(/^(From|Date|Message-ID): /);
      expect(last(starttls.delivered).body).toContain('Subject: msmtp\r\n');
      expect(last(starttls.delivered).body.endsWith('\r\n\r\nfrom msmtp\r\n.leading dot\r\n')).toBe(true);
      expect(starttls.logins.at(-1)).toBe('SCRAM-SHA-256');
    });
  });

  describeWithPeer("Python's smtplib", findProgram(['/usr/bin/python3', 'python3']), (python) => {
    it('starttls() then login() (smtplib picks CRAM-MD5 first)', async () => {
      const { stdout } = await run(python, [
        join(import.meta.dirname, 'send_with_smtplib.py'),
        String(starttls.port),
        'starttls',
        caFile,
        'alice',
        's3cret',
      ]);
      const result = JSON.parse(stdout);
      expect(result.before_tls).toContain('starttls');
      expect(result.before_tls).not.toContain('auth');
      expect(result.auth.trim()).toBe('SCRAM-SHA-256 CRAM-MD5 PLAIN LOGIN');
      expect(result.login).toBe(235);
      expect(last(starttls.delivered).body).toBe('Subject: smtplib tls\r\n\r\nsecret body\r\n');
      expect(starttls.logins.at(-1)).toBe('CRAM-MD5');
    });
  });
});
