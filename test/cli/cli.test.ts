import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testCertificates } from '../helpers/certs.js';
import {
  CLI,
  plainSend,
  type RunningServe,
  runSend,
  type ServeOptions,
  startServe,
  withoutTrace,
} from '../helpers/cli.js';
import { collectingServer } from '../helpers/server.js';

const running: RunningServe[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop('SIGKILL')));
});

async function serve(args: string[] = [], options: ServeOptions = {}) {
  const s = await startServe(args, options);
  running.push(s);
  return s;
}

const message = 'From: alice@example.com\r\nSubject: cli\r\n\r\nhello\r\n.a leading dot\r\n';

describe('esmtp serve and esmtp send', () => {
  it('--help documents every flag; a bad flag prints usage and exits 2', () => {
    for (const [command, flags] of [
      [
        'serve',
        [
          'listen',
          'workers',
          'maildir',
          'no-store',
          'hostname',
          'size',
          'max-recipients',
          'lmtp',
          'tls-cert',
          'tls-key',
          'tls-port',
          'auth',
          'allow-insecure-auth',
          'bare-line-ends',
          'verbose',
          'quiet',
        ],
      ],
      [
        'send',
        [
          'server',
          'tls',
          'ca',
          'insecure',
          'auth',
          'allow-insecure-auth',
          'lmtp',
          'helo',
          'timeout',
          'from',
          'to',
          'mx',
          'dns-server',
          'port',
          'mta-sts',
        ],
      ],
    ] as const) {
      const help = spawnSync(process.execPath, [CLI, command, '--help'], { encoding: 'utf8' });
      expect(help.status).toBe(0);
      for (const f of flags) expect(help.stdout, f).toContain(`--${f}`);
      const short = spawnSync(process.execPath, [CLI, command, '-h'], { encoding: 'utf8' });
      expect(short).toMatchObject({ status: 0, stdout: help.stdout, stderr: '' });
      const bad = spawnSync(process.execPath, [CLI, command, '--no-such-flag'], { encoding: 'utf8' });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/^esmtp: Unknown option '--no-such-flag'\n\n/);
      expect(bad.stderr).toContain(`usage: esmtp ${command}`);
    }
  });

  it('--version prints the package version; -h and --help the usage; both exit 0', () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8'));
    const printed = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' });
    expect(printed).toMatchObject({ status: 0, stdout: `${version}\n`, stderr: '' });
    for (const flag of ['-h', '--help']) {
      const help = spawnSync(process.execPath, [CLI, flag], { encoding: 'utf8' });
      expect(help).toMatchObject({ status: 0, stderr: '' });
      expect(help.stdout).toMatch(/^usage: esmtp <command>[\s\S]*--version/);
    }
  });

  it('a value missing, or given to a flag that takes none, is a usage error', () => {
    for (const [args, error] of [
      [['send', '--server'], "Option '--server <value>' argument missing"],
      [['send', '--server', '--from', 'a@example.com'], "Option '--server' argument is ambiguous"],
      [['serve', '--quiet=yes'], "Option '--quiet' does not take an argument"],
      [['serve', 'extra'], 'unexpected argument extra'],
      [
        ['serve', '--proxy-protocol', '10.0.0.0/8,10.1.2.3/40'],
        '--proxy-protocol: "10.1.2.3/40" is not an address or a CIDR block',
      ],
      [['serve', '--workers', '0'], '--workers needs a positive whole number'],
      [['serve', '--listen', 'fd:x'], '--listen needs HOST:PORT or fd:N'],
    ] as const) {
      const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr.split('\n')[0]).toBe(`esmtp: ${error}`);
    }
  });

  it('a message sent with esmtp send arrives in the Maildir byte for byte, with trace headers, logged once', async () => {
    const s = await serve(['--hostname', 'mx.test']);
    const outcome = await runSend(plainSend(s.port, 'alice@example.com', 'bob@example.org'), message);
    expect(outcome).toMatchObject({ status: 0, json: { accepted: ['bob@example.org'], rejected: [] } });
    expect(outcome.json.reply).toMatch(/^250 2\.0\.0/);
    const [delivered] = s.messages();
    expect(delivered).toMatch(
      /^Return-Path: <alice@example\.com>\r\nReceived: from \[127\.0\.0\.1\] \(\[127\.0\.0\.1\]:\d+\)\r\n\tby mx\.test \(esmtp\) with ESMTP id \S+\r\n\tfor <bob@example\.org>;\r\n\t\w{3}, \d\d \w{3} \d{4} [\d:]{8} \+0000\r\n/,
    );
    expect(withoutTrace(delivered as string)).toBe(message);
    expect(s.log()).toMatch(
      /esmtp: delivered id=\S+ from=<alice@example\.com> to=<bob@example\.org> size=\d+\n/,
    );
    expect(s.log()).not.toContain('hello');
  });

  it('--quiet logs no line per message; stopping logs how many were delivered', async () => {
    const s = await serve(['--quiet', '--no-store']);
    for (let i = 0; i < 2; i++) {
      const outcome = await runSend(plainSend(s.port, 'alice@example.com', 'bob@example.org'), message);
      expect(outcome.status).toBe(0);
    }
    expect(await s.stop()).toBe(0);
    expect(s.log()).not.toContain('delivered id=');
    expect(s.log()).toContain('esmtp: stopped: 2 messages delivered\n');
  });

  it('--verbose logs connections and every refusal with its reason', async () => {
    const s = await serve(['--verbose', '--size', '200']);
    const outcome = await runSend(
      plainSend(s.port, 'alice@example.com', 'bob@example.org'),
      `Subject: big\r\n\r\n${'x'.repeat(400)}\r\n`,
    );
    expect(outcome.status).toBe(1);
    await vi.waitFor(() =>
      expect(s.log()).toMatch(/esmtp: disconnect id=\S+ remoteAddress=127\.0\.0\.1 remotePort=\d+\n/),
    );
    expect(s.log()).toMatch(/esmtp: connect id=\S+ remoteAddress=127\.0\.0\.1 remotePort=\d+\n/);
    expect(s.log()).toMatch(/esmtp: refused: 552 5\.3\.4 [^\n]* id=\S+ reply=552 5\.3\.4/);
  });

  it('--trace logs the wire, AUTH payloads redacted', async () => {
    const s = await serve(['--trace', '--auth', 'alice:s3cret', '--allow-insecure-auth']);
    const args = [
      ...plainSend(s.port, 'alice@example.com', 'bob@example.org'),
      '--auth',
      'alice:s3cret',
      '--allow-insecure-auth',
    ];
    const outcome = await runSend(args, message);
    expect(outcome.status).toBe(0);
    await vi.waitFor(() => expect(s.log()).toContain('> 221 2.0.0'));
    expect(s.log()).toMatch(/esmtp: > 250 2\.1\.0 Sender OK id=\S+ reply=250 2\.1\.0 Sender OK\n/);
    expect(s.log()).toContain('> 235 2.7.0');
    expect(s.log()).not.toContain(Buffer.from('\0alice\0s3cret').toString('base64'));
  });

  it('--log-format json writes one JSON object a line', async () => {
    const s = await serve(['--log-format', 'json', '--verbose']);
    const outcome = await runSend(plainSend(s.port, 'alice@example.com', 'bob@example.org'), message);
    expect(outcome.status).toBe(0);
    await vi.waitFor(() => expect(s.log()).toContain('"msg":"disconnect"'));
    const entries = s
      .log()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entries.map((e) => e.msg)).toEqual(['connect', 'delivered', 'disconnect']);
    expect(entries[1]).toMatchObject({
      level: 'info',
      from: '<alice@example.com>',
      to: ['<bob@example.org>'],
    });
    expect(entries.every((e) => typeof e.time === 'string' && typeof e.session === 'string')).toBe(true);
  });

  it('esmtp send exits 1 and reports the refusal when a recipient is refused', async () => {
    const s = await serve(['--max-recipients', '1']);
    const outcome = await runSend(
      plainSend(s.port, 'a@example.com', 'b@example.org', 'c@example.org'),
      message,
    );
    expect(outcome.status).toBe(1);
    expect(outcome.json).toMatchObject({
      accepted: ['b@example.org'],
      rejected: [{ address: 'c@example.org', reply: expect.stringMatching(/^452 4\.5\.3/) }],
    });
    expect(outcome.stderr).toContain('c@example.org refused');
  });

  it('esmtp send exits 1 when the send fails, 2 on usage errors', async () => {
    const failed = await runSend(
      ['--server', 'smtp://127.0.0.1:1', '--tls', 'none', '--from', 'a@example.com', '--to', 'b@example.org'],
      message,
    );
    expect(failed.status).toBe(1);
    expect(failed.json.error).toBe('ECONNECTION');
    const usage = await runSend(['--from', 'a@example.com'], message);
    expect(usage.status).toBe(2);
  });

  it('esmtp send with a message file that cannot be read says so in one line naming it, and exits 1', async () => {
    const s = await serve();
    const missing = join(tmpdir(), `esmtp-cli-missing-${process.pid}.eml`);
    const outcome = await runSend([...plainSend(s.port, 'a@example.com', 'b@example.org'), missing], '');
    expect(outcome).toMatchObject({
      status: 1,
      stderr: `esmtp: cannot read ${missing}: no such file or directory\n`,
    });
    const directory = await runSend([...plainSend(s.port, 'a@example.com', 'b@example.org'), tmpdir()], '');
    expect(directory).toMatchObject({
      status: 1,
      stderr: `esmtp: cannot read ${tmpdir()}: it is a directory\n`,
    });
    expect(s.messages()).toEqual([]);
  });

  it('esmtp send FILE declares its size, and refuses before MAIL one larger than the server takes', async () => {
    const file = join(tmpdir(), `esmtp-cli-sized-${process.pid}.eml`);
    writeFileSync(file, `Subject: big\r\n\r\n${'x'.repeat(1000)}\r\n`);
    const { server, delivered } = collectingServer({ limits: { messageSize: 2000 } });
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
    try {
      const fits = await runSend([...plainSend(port, 'a@example.com', 'b@example.org'), file], '');
      expect(fits.status).toBe(0);
      expect(delivered[0]?.envelope.params.size).toBe(statSync(file).size);
    } finally {
      await server.close();
    }
    const s = await serve(['--size', '500']);
    const tooBig = await runSend([...plainSend(s.port, 'a@example.com', 'b@example.org'), file], '');
    expect(tooBig).toMatchObject({ status: 1, json: { error: 'ESIZE', reply: null } });
    expect(tooBig.stderr).toContain('larger than the server accepts (500)');
    expect(s.messages()).toEqual([]);
  });

  it('esmtp send --server without a scheme is a usage error that shows the smtp:// form', async () => {
    const outcome = await runSend(
      ['--server', '127.0.0.1:25', '--from', 'a@example.com', '--to', 'b@example.org'],
      message,
    );
    expect(outcome.status).toBe(2);
    expect(outcome.stderr.split('\n')[0]).toContain('smtp://127.0.0.1:25');
    expect(outcome.stderr).toContain('usage: esmtp send');
  });

  it('STARTTLS and AUTH PLAIN between esmtp send and esmtp serve; AUTH is required for MAIL', async () => {
    const certs = testCertificates();
    const cert = join(tmpdir(), `esmtp-cli-cert-${process.pid}.pem`);
    const key = join(tmpdir(), `esmtp-cli-key-${process.pid}.pem`);
    const ca = join(tmpdir(), `esmtp-cli-ca-${process.pid}.pem`);
    writeFileSync(cert, certs.localhost.cert);
    writeFileSync(key, certs.localhost.key);
    writeFileSync(ca, certs.ca);
    const s = await serve([
      '--tls-cert',
      cert,
      '--tls-key',
      key,
      '--tls-port',
      '0',
      '--auth',
      'alice:s3cret',
    ]);
    const common = ['--from', 'alice@example.com', '--to', 'bob@example.org', '--ca', ca];
    const ok = await runSend(
      ['--server', `smtp://localhost:${s.port}`, '--tls', 'required', '--auth', 'alice:s3cret', ...common],
      message,
    );
    expect(ok.status).toBe(0);
    const implicit = await runSend(
      ['--server', `smtps://localhost:${s.tlsPort}`, '--auth', 'alice:s3cret', ...common],
      message,
    );
    expect(implicit.status).toBe(0);
    const anonymous = await runSend(
      ['--server', `smtp://localhost:${s.port}`, '--tls', 'required', ...common],
      message,
    );
    expect(anonymous.status).toBe(1);
    expect(anonymous.json.reply).toMatch(/^530 5\.7\.0/);
    const messages = s.messages();
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/with ESMTPSA id/);
    expect(messages.map(withoutTrace)).toEqual([message, message]);
  });

  it('serve --auth without TLS refuses to start unless --allow-insecure-auth is given', async () => {
    const maildir = join(mkdtempSync(join(tmpdir(), 'esmtp-cli-')), 'mail');
    const refused = spawnSync(
      process.execPath,
      [CLI, 'serve', '--listen', '127.0.0.1:0', '--maildir', maildir, '--auth', 'alice:s3cret'],
      // Before this was refused, the server started and ran until killed.
      { encoding: 'utf8', timeout: 4000 },
    );
    expect(refused.status).toBe(2);
    expect(refused.stderr.split('\n')[0]).toBe(
      'esmtp: AUTH is offered only over TLS: give --tls-cert and --tls-key, or --allow-insecure-auth to offer it in cleartext',
    );
    const s = await serve(['--auth', 'alice:s3cret', '--allow-insecure-auth']);
    const outcome = await runSend(
      [
        ...plainSend(s.port, 'alice@example.com', 'bob@example.org'),
        '--auth',
        'alice:s3cret',
        '--allow-insecure-auth',
      ],
      message,
    );
    expect(outcome.status).toBe(0);
  });

  it('serve takes users from --auth-file and ESMTP_AUTH', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'esmtp-cli-')), 'users');
    writeFileSync(file, '# users\nalice:s3cret\r\n\nbob:pass:with:colons\n');
    const s = await serve(['--auth-file', file, '--allow-insecure-auth'], {
      env: { ESMTP_AUTH: 'carol:c4rol' },
    });
    const as = (credentials: string) =>
      runSend(
        [
          ...plainSend(s.port, 'a@example.com', 'b@example.org'),
          '--auth',
          credentials,
          '--allow-insecure-auth',
        ],
        message,
      );
    for (const user of ['alice:s3cret', 'bob:pass:with:colons', 'carol:c4rol'])
      expect((await as(user)).status, user).toBe(0);
    const wrong = await as('alice:wrong');
    expect(wrong).toMatchObject({ status: 1, json: { error: 'EAUTH' } });
    expect(wrong.stderr).toContain('535 5.7.8');
    expect(s.messages()).toHaveLength(3);

    writeFileSync(file, 'alice\n');
    const bad = spawnSync(process.execPath, [CLI, 'serve', '--auth-file', file, '--allow-insecure-auth'], {
      encoding: 'utf8',
      timeout: 4000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe(`esmtp: --auth-file ${file}: line 1 needs USER:PASS`);
  });

  it('--no-store accepts and discards; SIGTERM lets it finish and exit 0', async () => {
    const s = await serve(['--no-store']);
    const outcome = await runSend(plainSend(s.port, 'a@example.com', 'b@example.org'), message);
    expect(outcome.status).toBe(0);
    expect(s.messages()).toEqual([]);
    expect(await s.stop('SIGTERM')).toBe(0);
  });

  it('--lmtp serves LMTP, and esmtp send --lmtp speaks it', async () => {
    const s = await serve(['--lmtp']);
    const outcome = await runSend(
      [
        '--server',
        `lmtp://127.0.0.1:${s.port}`,
        '--tls',
        'none',
        '--from',
        'a@example.com',
        '--to',
        'b@example.org',
        '--to',
        'c@example.org',
      ],
      message,
    );
    expect(outcome).toMatchObject({ status: 0, json: { accepted: ['b@example.org', 'c@example.org'] } });
    expect(s.messages()[0]).toMatch(/with LMTP id/);
  });
});
