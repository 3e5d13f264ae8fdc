import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SmtpClient } from '../src/client/smtp-client.js';
import { testCertificates } from './helpers/certs.js';
import { collectingServer } from './helpers/server.js';

const root = join(import.meta.dirname, '..');
const run = promisify(execFile);
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
});

/** Starts an example that prints a line with a URL; resolves with the port in it and its output lines. */
async function startExample(file: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [join(root, 'examples', file), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  children.push(child);
  const lines: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      lines.push(line);
      const m = /smtp:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (m !== null && lines.length === 1) resolve(Number(m[1]));
    });
  });
  return { port, lines, child };
}

describe('examples/ run against the built package', () => {
  it('read-transcript: commands, a refused RCPT, the unstuffed message, QUIT', () => {
    const out = execFileSync(process.execPath, [join(root, 'examples/read-transcript.mjs')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(out.replace(/\r\n/g, '\n')).toBe(
      [
        'command EHLO',
        'command MAIL',
        'command RCPT',
        'refused: 501 5.1.3 Bad recipient address syntax',
        'command DATA',
        'message "Subject: hello\\r\\n\\r\\n.a line that starts with a dot\\r\\n" 50 octets',
        'command QUIT',
        '',
      ].join('\n'),
    );
  });

  it('mail-catcher catches what is sent to it', async () => {
    const { port, lines } = await startExample('mail-catcher.mjs', ['0']);
    const client = await SmtpClient.connect(`smtp://127.0.0.1:${port}`, { tls: 'none' });
    await client.send(
      { from: 'app@example.com', to: ['dev@example.org'] },
      'Subject: Welcome!\r\n\r\nHi.\r\n',
    );
    await client.quit();
    await vi.waitFor(() =>
      expect(lines.slice(1)).toEqual([
        'caught: from app@example.com to dev@example.org: Welcome! (26 octets)',
      ]),
    );
  });

  it('send-message sends one message', async () => {
    const { server, delivered } = collectingServer();
    const { port } = await server.listen();
    try {
      const { stdout } = await run(
        process.execPath,
        [
          join(root, 'examples/send-message.mjs'),
          `smtp://127.0.0.1:${port}`,
          'a@example.com',
          'b@example.org',
        ],
        { cwd: root },
      );
      expect(stdout).toBe('accepted: b@example.org; the server said: 250 Message accepted\n');
      expect(delivered[0]?.body).toContain('Subject: Hello from esmtp\r\n');
    } finally {
      await server.close();
    }
  });

  it('forwarder relays its own domain to the next hop and refuses others', async () => {
    const { server, delivered } = collectingServer();
    const next = await server.listen();
    try {
      const { port, lines } = await startExample('forwarder.mjs', [
        '0',
        `smtp://127.0.0.1:${next.port}`,
        'example.org',
      ]);
      const client = await SmtpClient.connect(`smtp://127.0.0.1:${port}`, { tls: 'none' });
      const result = await client.send(
        { from: 'a@example.com', to: ['b@example.org', 'c@elsewhere.net'] },
        'Subject: fwd\r\n\r\nrelay me\r\n',
      );
      await client.quit();
      expect(result.accepted).toEqual(['b@example.org']);
      expect(result.rejected[0]?.reply.code).toBe(550);
      expect(delivered[0]?.body).toBe('Subject: fwd\r\n\r\nrelay me\r\n');
      expect(delivered[0]?.envelope.recipients.map((r) => r.address.address)).toEqual(['b@example.org']);
      await vi.waitFor(() =>
        expect(lines.some((l) => l.startsWith('forwarded to b@example.org: 250'))).toBe(true),
      );
    } finally {
      await server.close();
    }
  });

  it('submission-server requires STARTTLS and AUTH, and the sender must be the user', async () => {
    const certs = testCertificates();
    const cert = join(tmpdir(), `esmtp-example-cert-${process.pid}.pem`);
    const key = join(tmpdir(), `esmtp-example-key-${process.pid}.pem`);
    writeFileSync(cert, certs.localhost.cert);
    writeFileSync(key, certs.localhost.key);
    const { port, lines } = await startExample('submission-server.mjs', ['0', 'alice@example.com:s3cret'], {
      TLS_CERT: cert,
      TLS_KEY: key,
    });
    const client = await SmtpClient.connect(`smtp://localhost:${port}`, {
      tls: 'required',
      tlsOptions: { ca: certs.ca },
      auth: { username: 'alice@example.com', password: 's3cret' },
    });
    await client.send({ from: 'alice@example.com', to: ['bob@example.org'] }, 'Subject: hi\r\n\r\nhi\r\n');
    await expect(client.send({ from: 'mallory@example.com', to: ['bob@example.org'] }, 'x')).rejects.toThrow(
      /553/,
    );
    await client.quit();
    await vi.waitFor(() =>
      expect(lines.slice(1)).toEqual([
        'alice@example.com submitted 19 octets for 1 recipient(s) over TLSv1.3',
      ]),
    );
  });

  it('every example is covered by a test here', () => {
    expect(readdirSync(join(root, 'examples')).sort()).toEqual([
      'catcher.test.ts', // a vitest test of its own, run by test/cli/catcher-example.test.ts
      'forwarder.mjs',
      'mail-catcher.mjs',
      'read-transcript.mjs',
      'send-message.mjs',
      'submission-server.mjs',
    ]);
  });
});
