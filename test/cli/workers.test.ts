import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';
import { testCertificates, writeKeyPair } from '../helpers/certs.js';
import { CLI, type RunningServe, startServe } from '../helpers/cli.js';
import { SocketClient } from '../helpers/tls-client.js';

// esmtp serve --workers: real processes, a primary and its workers sharing one port.

const running: RunningServe[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) {
    for (const pid of workerPids(s)) kill(pid);
    await s.stop('SIGKILL');
  }
});

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The workers that have listened, oldest first, from the primary's log. */
function workerPids(s: RunningServe): number[] {
  return [...s.log().matchAll(/worker listening pid=(\d+)/g)].map((m) => Number(m[1]));
}

async function serve(args: string[]): Promise<RunningServe> {
  const s = await startServe(['--workers', '2', ...args]);
  running.push(s);
  await vi.waitFor(() => expect(workerPids(s)).toHaveLength(2), { timeout: 10_000 });
  return s;
}

const envelope = { from: 'alice@example.com', to: ['bob@example.org'] };

/** The delivered files in new/, by name. */
function delivered(s: RunningServe): { name: string; text: string }[] {
  const dir = join(s.maildir, 'new');
  return readdirSync(dir).map((name) => ({ name, text: readFileSync(join(dir, name), 'latin1') }));
}

/** Sends one message on a connection of its own; resolves with whether it got a 250. */
async function sendOne(port: number, id: string): Promise<boolean> {
  const client = await SmtpClient.connect(`smtp://127.0.0.1:${port}`, { tls: 'none' });
  try {
    const result = await client.send(envelope, `Subject: ${id}\r\nX-Id: ${id}\r\n\r\nhello\r\n`);
    return result.accepted.length === 1;
  } finally {
    await client.quit().catch(() => {});
  }
}

describe('esmtp serve --workers', () => {
  it('SIGTERM drains every worker: each message that got a 250 is in the Maildir, and the count adds up', async () => {
    const s = await serve([]);
    // One message is held half-sent while the signal arrives: its transaction is in progress.
    const held = await SocketClient.connect(s.port);
    await held.reply();
    for (const line of ['EHLO client.example', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<bob@example.org>'])
      expect((await held.command(line)).code).toBe(250);
    expect((await held.command('DATA')).code).toBe(354);
    held.send('Subject: held\r\nX-Id: held\r\n\r\nthe first half\r\n');
    // Its file is in tmp/ once the worker's onData has begun writing it.
    await vi.waitFor(() => expect(readdirSync(join(s.maildir, 'tmp'))).toHaveLength(1), { timeout: 10_000 });

    // Eight connections send one message after another until the server stops taking them.
    const accepted: string[] = [];
    let signalled = false;
    const sender = async (n: number) => {
      const client = await SmtpClient.connect(`smtp://127.0.0.1:${s.port}`, { tls: 'none' });
      for (let i = 0; i < 1000; i++) {
        const id = `c${n}-${i}`;
        try {
          const result = await client.send(envelope, `Subject: ${id}\r\nX-Id: ${id}\r\n\r\nhello\r\n`);
          if (result.accepted.length === 1) accepted.push(id);
        } catch {
          break; // 421 or the connection closed: the server is stopping
        }
        if (accepted.length >= 40 && !signalled) {
          signalled = true;
          s.child.kill('SIGTERM');
        }
      }
      client.close();
    };
    const senders = Promise.all(Array.from({ length: 8 }, (_, n) => sender(n)));
    await vi.waitFor(() => expect(s.log()).toContain('stopping: finishing open messages'), {
      timeout: 20_000,
    });
    held.send('the second half, sent after the signal\r\n.\r\n');
    expect((await held.reply(10_000)).code).toBe(250);
    accepted.push('held');
    held.end();
    await senders;

    expect(await s.exited(40_000)).toBe(0);
    const files = delivered(s);
    const ids = new Set(files.map((f) => /X-Id: (\S+)/.exec(f.text)?.[1]));
    for (const id of accepted) expect(ids.has(id), id).toBe(true);
    expect(accepted.length).toBeGreaterThanOrEqual(41);
    const count = /stopped: (\d+) messages delivered/.exec(s.log())?.[1];
    expect(Number(count)).toBe(files.length);
    // Both workers delivered some.
    for (const pid of workerPids(s))
      expect(
        files.some((f) => f.name.includes(`P${pid}Q`)),
        String(pid),
      ).toBe(true);
  }, 60_000);

  it('a SIGTERM while the workers are still starting stops them all at once, with the count', async () => {
    const maildir = join(mkdtempSync(join(tmpdir(), 'esmtp-workers-')), 'mail');
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--workers', '2', '--listen', '127.0.0.1:0', '--maildir', maildir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // As soon as both workers exist, before either can listen.
      const children = () =>
        readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8')
          .trim()
          .split(/\s+/)
          .filter(Boolean);
      await vi.waitFor(() => expect(children()).toHaveLength(2), { timeout: 10_000, interval: 5 });
      child.kill('SIGTERM');
      // Before, an order that came while a worker started was lost: the primary waited 35 s for
      // its count, then killed it and exited 1.
      const code = await Promise.race([
        exited,
        new Promise((resolve) => setTimeout(resolve, 20_000, 'still running')),
      ]);
      expect(code, log).toBe(0);
      expect(log).toContain('stopped: 0 messages delivered');
      expect(log).not.toContain('without reporting');
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);

  it('a worker killed with SIGKILL is replaced, and mail still flows through the new one', async () => {
    const s = await serve([]);
    const [victim] = workerPids(s) as [number, number];
    process.kill(victim, 'SIGKILL');
    await vi.waitFor(
      () => expect(s.log()).toContain(`worker died: starting another pid=${victim} status=SIGKILL`),
      {
        timeout: 10_000,
      },
    );
    await vi.waitFor(() => expect(workerPids(s)).toHaveLength(3), { timeout: 10_000 });
    const newcomer = workerPids(s)[2] as number;
    expect(newcomer).not.toBe(victim);
    // The primary hands connections to its workers in turn: four in a row reach both.
    for (let i = 0; i < 4; i++) expect(await sendOne(s.port, `after-${i}`)).toBe(true);
    expect(delivered(s).some((f) => f.name.includes(`P${newcomer}Q`))).toBe(true);
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(s.log()).toContain('stopped: 4 messages delivered');
  }, 30_000);

  it('--tls-port: every worker serves STARTTLS on the port and implicit TLS on the other', async () => {
    const certs = testCertificates();
    const files = writeKeyPair(certs.localhost);
    const s = await serve(['--tls-cert', files.cert, '--tls-key', files.key, '--tls-port', '0']);
    expect(s.tlsPort).toBeDefined();
    const tlsOptions = { ca: certs.ca };
    for (let i = 0; i < 2; i++) {
      const starttls = await SmtpClient.connect(`smtp://localhost:${s.port}`, {
        tls: 'required',
        tlsOptions,
      });
      expect((await starttls.send(envelope, 'Subject: starttls\r\n\r\nhi\r\n')).accepted).toHaveLength(1);
      await starttls.quit();
      const implicit = await SmtpClient.connect(`smtps://localhost:${s.tlsPort}`, { tlsOptions });
      expect((await implicit.send(envelope, 'Subject: implicit\r\n\r\nhi\r\n')).accepted).toHaveLength(1);
      await implicit.quit();
    }
    expect(delivered(s)).toHaveLength(4);
  }, 30_000);

  it('workers that die at start are not replaced forever: the primary gives up and exits 1', async () => {
    // The port is taken, so every worker fails to listen.
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const run = spawnSync(
        process.execPath,
        [CLI, 'serve', '--workers', '2', '--no-store', '--listen', `127.0.0.1:${port}`],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('worker not started error=bind EADDRINUSE');
      expect(run.stderr).toMatch(/worker died, 5 in 10 s: giving up/);
      expect(run.stderr).toContain('stopped: 0 messages delivered');
    } finally {
      taken.close();
    }
  }, 40_000);
});
