import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { plainSend, type RunningServe, runSend, startServe, withoutTrace } from '../helpers/cli.js';
import { describeWithPeer } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

// A whole Postfix needs root to start (its master drops privileges per service).
const postfix =
  process.getuid?.() === 0 && existsSync('/usr/lib/postfix/sbin/master')
    ? ['/usr/sbin/postfix'].find((p) => existsSync(p))
    : undefined;

/** Answers once something greets on `port` with a 220. */
function greets(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('data', (d) => {
      socket.destroy();
      if (String(d).startsWith('220 ')) resolve();
      else reject(new Error(String(d)));
    });
    socket.once('error', reject);
  });
}

describeWithPeer('a real Postfix relaying from esmtp send into esmtp serve', postfix, (program) => {
  let serve: RunningServe;
  let master: ChildProcess;
  let config: string;
  let smtpdPort: number;
  let log = '';

  beforeAll(async () => {
    serve = await startServe(['--hostname', 'final.test']);
    const root = mkdtempSync(join(tmpdir(), 'esmtp-postfix-'));
    chmodSync(root, 0o755); // Postfix's services, running as postfix, must reach their directories
    config = join(root, 'etc');
    for (const d of ['etc', 'queue', 'data']) mkdirSync(join(root, d));
    const postfixUser = spawnSync('id', ['-u', 'postfix'], { encoding: 'utf8' }).stdout.trim();
    chownSync(join(root, 'data'), Number(postfixUser), -1);
    smtpdPort = await freePort();
    writeFileSync(
      join(config, 'main.cf'),
      [
        'compatibility_level = 3.6',
        `queue_directory = ${join(root, 'queue')}`,
        `data_directory = ${join(root, 'data')}`,
        'meta_directory = /etc/postfix',
        'maillog_file = /dev/stdout',
        'inet_interfaces = 127.0.0.1',
        'inet_protocols = ipv4',
        'myhostname = relay.test',
        'mydomain = relay.test',
        'mydestination =',
        'relay_domains = example.org',
        `relayhost = [127.0.0.1]:${serve.port}`,
        'mynetworks = 127.0.0.0/8',
        'smtpd_relay_restrictions = permit_mynetworks, reject',
        'smtp_tls_security_level = none',
        'smtpd_tls_security_level = none',
        'alias_maps =',
        'alias_database =',
        'biff = no',
        '',
      ].join('\n'),
    );
    // The packaged master.cf, with smtpd on our port, nothing chrooted, and no extra listeners.
    const master_cf = readFileSync('/etc/postfix/master.cf', 'utf8')
      .split('\n')
      .filter((line) => !/^(#|submission|smtps|postlog)/.test(line))
      .map((line) => line.replace(/^smtp(\s+)inet/, `127.0.0.1:${smtpdPort}$1inet`))
      .map((line) =>
        line.replace(/^([\w.:-]+\s+(?:inet|unix|unix-dgram|fifo|pass)\s+[-yn]\s+[-yn]\s+)[-yn]/, '$1n'),
      );
    master_cf.push('postlog   unix-dgram n  -       n       -       1       postlogd');
    writeFileSync(join(config, 'master.cf'), master_cf.join('\n'));
    // `postfix check` lays out the queue; the master then runs in the foreground (-d), as our
    // child, so that it is stopped with us. (`postfix start-fg` refuses unless it is PID 1.)
    const check = spawnSync(program, ['-c', config, 'check'], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`postfix check failed: ${check.stderr}`);
    master = spawn('/usr/lib/postfix/sbin/master', ['-c', config, '-d'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    master.stdout?.on('data', (d) => {
      log += String(d);
    });
    master.stderr?.on('data', (d) => {
      log += String(d);
    });
    await vi
      .waitFor(() => greets(smtpdPort), { timeout: 20_000, interval: 200 })
      .catch((error) => {
        throw new Error(`Postfix did not start: ${error.message}\n${log}`);
      });
  }, 30_000);

  afterAll(async () => {
    if (master !== undefined && master.exitCode === null) {
      const exited = new Promise((resolve) => master.once('exit', resolve));
      master.kill('SIGTERM'); // the master stops its services, then itself
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
    await serve?.stop();
  }, 15_000);

  it('the message arrives in the Maildir byte for byte, under the Received headers', async () => {
    const message =
      'From: alice@example.com\r\nTo: bob@example.org\r\nSubject: through Postfix\r\n' +
      'Date: Sun, 29 Nov 2026 12:00:00 +0000\r\nMessage-ID: <relay-1@example.com>\r\n\r\nrelayed body\r\n.a dot\r\n';
    const outcome = await runSend(plainSend(smtpdPort, 'alice@example.com', 'bob@example.org'), message);
    expect(outcome.status, outcome.stderr).toBe(0);
    expect(outcome.json.reply).toMatch(/queued as/);
    await vi.waitFor(() => expect(serve.messages(), log).toHaveLength(1), { timeout: 20_000, interval: 100 });
    const delivered = serve.messages()[0] as string;
    expect(delivered).toMatch(
      /^Return-Path: <alice@example\.com>\r\nReceived: from relay\.test \(\[127\.0\.0\.1\]:\d+\)\r\n/,
    );
    // Under our trace headers comes Postfix's own Received header, then the message as sent.
    const afterOurs = withoutTrace(delivered);
    expect(afterOurs).toMatch(/^Received: from [^\r\n]*\r\n\tby relay\.test \(Postfix\) with ESMTP id /);
    expect(afterOurs.replace(/^Received: [^\r\n]*\r\n(?:\t[^\r\n]*\r\n)*/, '')).toBe(message);
  }, 40_000);
});
