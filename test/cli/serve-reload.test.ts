import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testCertificates, writeKeyPair } from '../helpers/certs.js';
import { type RunningServe, startServe } from '../helpers/cli.js';
import { SocketClient } from '../helpers/tls-client.js';

// esmtp serve reads its certificate again on SIGHUP, without a restart.

const running: RunningServe[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop('SIGKILL')));
});

async function serve(args: string[]): Promise<RunningServe> {
  const s = await startServe(args);
  running.push(s);
  return s;
}

const certs = testCertificates();

/** The common name of the certificate a new STARTTLS connection is shown. */
async function starttlsName(port: number): Promise<string> {
  const client = await SocketClient.connect(port);
  try {
    await client.reply();
    await client.command('EHLO client.example');
    expect((await client.command('STARTTLS')).code).toBe(220);
    await client.startTls({ ca: certs.ca, rejectUnauthorized: false });
    return String(client.tlsSocket.getPeerCertificate().subject.CN);
  } finally {
    client.end();
  }
}

/** The common name of the certificate a new implicit TLS connection is shown. */
async function implicitName(port: number): Promise<string> {
  const client = await SocketClient.connectTls(port, { rejectUnauthorized: false });
  const name = String(client.tlsSocket.getPeerCertificate().subject.CN);
  client.end();
  return name;
}

const count = (text: string, part: string) => text.split(part).length - 1;

describe('esmtp serve: SIGHUP rotates the certificate', () => {
  it('a new STARTTLS connection sees the new certificate; a file that cannot be used keeps it', async () => {
    const files = writeKeyPair(certs.localhost);
    const s = await serve(['--tls-cert', files.cert, '--tls-key', files.key, '--tls-port', '0']);
    expect(await starttlsName(s.port)).toBe('localhost');

    writeFileSync(files.cert, certs.other.cert);
    writeFileSync(files.key, certs.other.key);
    s.child.kill('SIGHUP');
    await vi.waitFor(() => expect(s.log()).toContain(`certificate reloaded cert=${files.cert}`), {
      timeout: 10_000,
    });
    expect(await starttlsName(s.port)).toBe('other.example');
    expect(await implicitName(s.tlsPort as number)).toBe('other.example');

    // A key that does not match the certificate: refused, and the last good pair stays.
    writeFileSync(files.key, certs.localhost.key);
    s.child.kill('SIGHUP');
    await vi.waitFor(() => expect(s.log()).toContain('certificate not reloaded, the old one stays error='), {
      timeout: 10_000,
    });
    expect(await starttlsName(s.port)).toBe('other.example');
    expect(await s.stop('SIGTERM')).toBe(0);
  }, 30_000);

  it('without a certificate, SIGHUP says so and the server keeps running', async () => {
    const s = await serve([]);
    s.child.kill('SIGHUP');
    await vi.waitFor(() => expect(s.log()).toContain('no certificate to reload'), { timeout: 10_000 });
    expect(await s.stop('SIGTERM')).toBe(0);
  });

  it('with --workers the primary forwards SIGHUP to every worker', async () => {
    const files = writeKeyPair(certs.localhost);
    const s = await serve(['--workers', '2', '--tls-cert', files.cert, '--tls-key', files.key]);
    writeFileSync(files.cert, certs.other.cert);
    writeFileSync(files.key, certs.other.key);
    s.child.kill('SIGHUP');
    await vi.waitFor(() => expect(count(s.log(), 'certificate reloaded')).toBe(2), { timeout: 10_000 });
    // The primary hands connections to its workers in turn: four in a row reach both.
    for (let i = 0; i < 4; i++) expect(await starttlsName(s.port)).toBe('other.example');
    expect(await s.stop('SIGTERM')).toBe(0);
  }, 30_000);
});
