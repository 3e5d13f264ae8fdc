import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { dkimSign } from 'mailauth';
import MailComposer from 'nodemailer/lib/mail-composer';
import PostalMime from 'postal-mime';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SmtpClient } from '../src/client/smtp-client.js';
import { testCertificates } from './helpers/certs.js';
import { dnsmasqProgram, type RunningDns, startDnsmasq } from './helpers/dnsmasq.js';
import { errorOf } from './helpers/error-of.js';
import { describeWithPeer } from './helpers/peers.js';
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

  it('send-message sends over implicit TLS to an smtps: URL', async () => {
    const certs = testCertificates();
    const { server, delivered } = collectingServer({ secure: true, tls: certs.localhost });
    const { port } = await server.listen();
    const dir = mkdtempSync(join(tmpdir(), 'esmtp-example-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, certs.ca);
    try {
      const { stdout } = await run(
        process.execPath,
        [
          join(root, 'examples/send-message.mjs'),
          `smtps://127.0.0.1:${port}`,
          'a@example.com',
          'b@example.org',
        ],
        { cwd: root, env: { ...process.env, NODE_EXTRA_CA_CERTS: ca } },
      );
      expect(stdout).toBe('accepted: b@example.org; the server said: 250 Message accepted\n');
      expect(delivered).toHaveLength(1);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
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
      expect(result.rejected[0]?.reply).toMatchObject({ code: 550, enhanced: '5.7.1' });
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
      'authenticating-server.mjs',
      'build-with-mail-composer.mjs',
      'build-with-mimetext.mjs',
      'catcher.test.ts', // a vitest test of its own, run by test/cli/catcher-example.test.ts
      'dkim-sign.mjs',
      'forwarder.mjs',
      'mail-catcher.mjs',
      'parsing-server.mjs',
      'read-transcript.mjs',
      'send-message.mjs',
      'submission-server.mjs',
    ]);
  });
});

// These tests start node with a mail library loaded once or twice, on a machine that may be busy.
const slow = { timeout: 30_000 };

describe('examples/ that build and parse messages with field libraries', slow, () => {
  /** Runs a sending example against a server that keeps what arrives; resolves with its output and the message. */
  async function sendWith(file: string) {
    const { server, delivered } = collectingServer();
    const { port } = await server.listen();
    try {
      const { stdout } = await run(
        process.execPath,
        [join(root, 'examples', file), `smtp://127.0.0.1:${port}`, 'alice@example.com', 'bob@example.org'],
        { cwd: root },
      );
      expect(delivered).toHaveLength(1);
      const body = delivered[0]?.body ?? '';
      return { stdout, body, envelope: delivered[0]?.envelope, email: await PostalMime.parse(body) };
    } finally {
      await server.close();
    }
  }

  for (const file of ['build-with-mimetext.mjs', 'build-with-mail-composer.mjs']) {
    it(`${file}: text, HTML and an attachment arrive as built, with CRLF line ends`, async () => {
      const { stdout, body, envelope, email } = await sendWith(file);
      expect(stdout).toBe('accepted: bob@example.org\n');
      expect(envelope?.from?.address).toBe('alice@example.com');
      expect(envelope?.recipients.map((r) => r.address.address)).toEqual(['bob@example.org']);
      expect(body).not.toMatch(/[^\r]\n/);
      expect(email.subject).toBe('Your report');
      expect(email.from).toMatchObject({ name: 'Alice', address: 'alice@example.com' });
      expect(email.text?.trim()).toBe('Hi Bob,\nthe report is attached.');
      expect(email.html).toContain('<b>attached</b>');
      expect(email.attachments.map((a) => [a.filename, a.mimeType])).toEqual([['report.csv', 'text/csv']]);
      expect(new TextDecoder().decode(email.attachments[0]?.content as ArrayBuffer)).toBe(
        'quarter,total\nQ1,42\n',
      );
    });
  }

  for (const parser of ['postal-mime', 'mailparser']) {
    it(`parsing-server with ${parser}: subject, sender, text and attachments of what arrives`, async () => {
      const { port, lines } = await startExample('parsing-server.mjs', ['0', parser]);
      const message = await new MailComposer({
        from: 'Alice <alice@example.com>',
        to: 'bob@example.org',
        subject: 'Grüße',
        text: 'Hallo Bob.',
        attachments: [{ filename: 'notes.txt', content: 'one\ntwo\n' }],
      })
        .compile()
        .build();
      const client = await SmtpClient.connect(`smtp://127.0.0.1:${port}`, { tls: 'none' });
      await client.send({ from: 'alice@example.com', to: ['bob@example.org'] }, message);
      await client.quit();
      await vi.waitFor(() => expect(lines).toHaveLength(2));
      const parsed = JSON.parse(lines[1] ?? '');
      expect({ ...parsed, text: parsed.text.trim() }).toEqual({
        subject: 'Grüße',
        from: 'alice@example.com',
        text: 'Hallo Bob.',
        attachments: [{ filename: 'notes.txt', type: 'text/plain', size: 8 }],
      });
    });
  }
});

describeWithPeer('dnsmasq', dnsmasqProgram, (program) => {
  describe(
    'examples/dkim-sign.mjs and examples/authenticating-server.mjs, with a real DNS server',
    slow,
    () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const directories = [mkdtempSync(join(tmpdir(), 'esmtp-dkim-'))];
      const keyFile = join(directories[0] as string, 'private.pem');
      writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      let dns: RunningDns;
      beforeAll(async () => {
        const key = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
        dns = await startDnsmasq(program, {
          zone: 'test',
          txt: [
            { name: 'mail._domainkey.example.test', text: `v=DKIM1; k=rsa; p=${key}` },
            { name: 'example.test', text: 'v=spf1 ip4:127.0.0.1 -all' },
            { name: '_dmarc.example.test', text: 'v=DMARC1; p=reject' },
            { name: 'elsewhere.test', text: 'v=spf1 -all' },
            { name: '_dmarc.elsewhere.test', text: 'v=DMARC1; p=reject' },
          ],
        });
      });
      afterAll(async () => {
        await dns?.stop();
        for (const directory of directories) rmSync(directory, { recursive: true, force: true });
      });

      /** The authenticating server on a spool of its own; `stored()` reads what reached new/. */
      async function startAuthenticating() {
        const spool = mkdtempSync(join(tmpdir(), 'esmtp-spool-'));
        directories.push(spool);
        const example = await startExample('authenticating-server.mjs', ['0', spool], {
          DNS_SERVER: dns.server,
        });
        const inside = (dir: string) => readdirSync(join(spool, dir));
        const stored = () => inside('new').map((name) => readFileSync(join(spool, 'new', name), 'latin1'));
        return { ...example, url: `smtp://127.0.0.1:${example.port}`, stored, inside };
      }

      /** The Authentication-Results field of a stored message, unfolded. */
      function authenticationResults(stored: string): string {
        return /^Authentication-Results: (.*?)\r\n(?! )/ms.exec(stored)?.[1]?.replace(/\r\n /g, ' ') ?? '';
      }

      it('a signed message passes DKIM, SPF and DMARC; the results head the stored message', async () => {
        const { url, lines, stored, inside } = await startAuthenticating();
        const { stdout } = await run(
          process.execPath,
          [join(root, 'examples/dkim-sign.mjs'), url, 'alice@example.test', 'bob@example.net'],
          { cwd: root, env: { ...process.env, DKIM_KEY: keyFile, DKIM_SELECTOR: 'mail' } },
        );
        expect(stdout).toBe('signed for example.test; accepted: bob@example.net\n');
        const [message = ''] = stored();
        expect(message).toMatch(
          /^Received-SPF: pass \(mx\.example\.net: domain of alice@example\.test designates 127\.0\.0\.1/,
        );
        const results = authenticationResults(message);
        expect(results).toMatch(/^mx\.example\.net; dkim=pass header\.i=@example\.test header\.s=mail /);
        expect(results).toContain('spf=pass');
        expect(results).toContain('dmarc=pass');
        // The message itself follows, as sent.
        expect(message).toMatch(/\r\n\r?DKIM-Signature: [\s\S]*\r\nFrom: Alice <alice@example\.test>\r\n/);
        expect(message.endsWith('\r\n\r\nThis message carries a DKIM signature.\r\n')).toBe(true);
        expect(inside('tmp')).toEqual([]);
        expect(lines[1]).toMatch(/^stored \S+\.eml: dkim=pass spf=pass dmarc=pass arc=none$/);
        // The key, SPF and DMARC records came from the DNS server.
        for (const name of ['mail._domainkey.example.test', 'example.test', '_dmarc.example.test'])
          expect(dns.log()).toContain(`query[TXT] ${name} `);
      });

      it('a message changed after signing fails DKIM; a sender the domain does not allow fails SPF and DMARC', async () => {
        const { url, stored } = await startAuthenticating();
        const original =
          'From: <alice@example.test>\r\nTo: <bob@example.net>\r\nSubject: pay 10 EUR\r\n\r\nThanks.\r\n';
        const key = { signingDomain: 'example.test', selector: 'mail', privateKey: readFileSync(keyFile) };
        // dkimSign reads signatureData; mailauth's type declarations want the key at the top too.
        const { signatures } = await dkimSign(original, { ...key, signatureData: [key] });
        const tampered = signatures + original.replace('10 EUR', '1000 EUR');
        const client = await SmtpClient.connect(url, { tls: 'none' });
        await client.send({ from: 'alice@example.test', to: ['bob@example.net'] }, tampered);
        await client.send(
          { from: 'mallory@elsewhere.test', to: ['bob@example.net'] },
          'From: <mallory@elsewhere.test>\r\nSubject: hi\r\n\r\nhi\r\n',
        );
        await client.quit();
        const results = stored().map(authenticationResults);
        const changed = results.find((r) => r.includes('example.test header.s=mail'));
        expect(changed).toMatch(/dkim=fail \(bad signature\)/);
        expect(changed).toContain('spf=pass');
        const foreign = results.find((r) => r.includes('smtp.mailfrom=mallory@elsewhere.test'));
        expect(foreign).toContain('dkim=none');
        expect(foreign).toContain('spf=fail');
        expect(foreign).toContain('dmarc=fail');
      });

      it('a message over the size limit is refused with 552 and leaves nothing in tmp/ or new/', async () => {
        const { url, inside } = await startAuthenticating();
        const mebibyte = new TextEncoder().encode(`${'x'.repeat(1022)}\r\n`.repeat(1024));
        async function* tooLarge() {
          yield new TextEncoder().encode('From: <alice@example.test>\r\n\r\n');
          for (let i = 0; i < 11; i++) yield mebibyte;
        }
        const client = await SmtpClient.connect(url, { tls: 'none' });
        const error = await errorOf(
          client.send({ from: 'alice@example.test', to: ['bob@example.net'] }, tooLarge()),
        );
        expect(error.code).toBe(552);
        await client.quit();
        // The 552 may reach the client before the hook has removed what it wrote.
        await vi.waitFor(() => expect(inside('tmp')).toEqual([]));
        expect(inside('new')).toEqual([]);
      });
    },
  );
});
