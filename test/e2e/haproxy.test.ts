import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';
import { NodeTransport } from '../../src/transport/node.js';
import { type RunningServe, startServe } from '../helpers/cli.js';
import { describeWithPeer, findProgram } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

// Three loopback addresses tell the parties apart: the client connects from 127.0.0.2, HAProxy
// connects to the servers from 127.0.0.3 (the one proxy they trust), and everyone listens on
// 127.0.0.1. A Received header with 127.0.0.2 and the client's port proves the PROXY header read.
const CLIENT = '127.0.0.2';
const PROXY = '127.0.0.3';

describeWithPeer('HAProxy', findProgram(['haproxy', '/usr/sbin/haproxy'], ['-v']), (program) => {
  const dir = mkdtempSync(join(tmpdir(), 'esmtp-haproxy-'));
  const stats = join(dir, 'stats.sock');
  let haproxy: ChildProcess | undefined;
  let haproxyLog = '';
  let front: number;
  /** `esmtp serve` behind `send-proxy` (version 1), and behind `send-proxy-v2`. */
  let v1: RunningServe;
  let v2: RunningServe;

  beforeAll(async () => {
    const serve = () => startServe(['--proxy-protocol', `${PROXY}/32`, '--verbose']);
    [v1, v2] = await Promise.all([serve(), serve()]);
    front = await freePort();
    // The health check speaks SMTP (EHLO) after a PROXY header of its own (check-send-proxy).
    const check = `check inter 200ms rise 1 fall 2 check-send-proxy source ${PROXY}`;
    writeFileSync(
      join(dir, 'haproxy.cfg'),
      [
        'global',
        `  stats socket ${stats} mode 600 level admin`,
        'defaults',
        '  mode tcp',
        '  timeout connect 2s',
        '  timeout client 10s',
        '  timeout server 10s',
        'frontend smtp',
        `  bind 127.0.0.1:${front}`,
        '  default_backend esmtp',
        'backend esmtp',
        '  balance roundrobin',
        '  option smtpchk EHLO haproxy.test',
        `  server v1 127.0.0.1:${v1.port} send-proxy ${check}`,
        `  server v2 127.0.0.1:${v2.port} send-proxy-v2 proxy-v2-options crc32c ${check}`,
        '',
      ].join('\n'),
    );
    haproxy = spawn(program, ['-f', join(dir, 'haproxy.cfg'), '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout?.on('data', (d) => {
      haproxyLog += String(d);
    });
    haproxy.stderr?.on('data', (d) => {
      haproxyLog += String(d);
    });
    await vi.waitFor(() => expect(existsSync(stats), haproxyLog).toBe(true), { timeout: 5000, interval: 50 });
  }, 20_000);

  afterAll(async () => {
    if (haproxy !== undefined && haproxy.exitCode === null) {
      const exited = new Promise((resolve) => haproxy?.once('exit', resolve));
      haproxy.kill('SIGTERM');
      const timer = setTimeout(() => haproxy?.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    await Promise.all([v1?.stop(), v2?.stop()]);
  });

  /** The status (UP, DOWN, ...) of each server of the backend, from the stats socket. */
  async function states(): Promise<Record<string, string>> {
    const csv = await new Promise<string>((resolve, reject) => {
      const socket = connect(stats);
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        text += d;
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.setTimeout(2000, () => socket.destroy(new Error('no answer from the stats socket')));
      socket.end('show stat\n');
    });
    const [head, ...rows] = csv.replace(/^# /, '').trim().split('\n');
    const columns = (head as string).split(',');
    const out: Record<string, string> = {};
    for (const row of rows) {
      const cells = row.split(',');
      const at = (name: string) => cells[columns.indexOf(name)] as string;
      if (at('pxname') === 'esmtp' && at('svname').startsWith('v')) out[at('svname')] = at('status');
    }
    return out;
  }

  /** Sends one message through HAProxy from the client's address; resolves with the client's port. */
  async function sendFromClient(n: number): Promise<number> {
    const socket = connect({ host: '127.0.0.1', port: front, localAddress: CLIENT });
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const clientPort = socket.localPort as number;
    const client = await SmtpClient.over(new NodeTransport(socket), { tls: 'none', name: 'client.test' });
    const result = await client.send(
      { from: 'alice@example.com', to: ['bob@example.org'] },
      `Subject: through HAProxy ${n}\r\n\r\nHello.\r\n`,
    );
    expect(result.accepted).toEqual(['bob@example.org']);
    await client.quit();
    return clientPort;
  }

  it('reports both servers UP: its SMTP health check, with a PROXY header, is answered', async () => {
    await vi.waitFor(async () => expect(await states()).toEqual({ v1: 'UP', v2: 'UP' }), {
      timeout: 10_000,
      interval: 100,
    });
  });

  it('relays round-robin through both PROXY versions; each Received header names the client, not HAProxy', async () => {
    const ports: number[] = [];
    for (let n = 0; n < 4; n++) ports.push(await sendFromClient(n));
    await vi.waitFor(() => expect(v1.messages().length + v2.messages().length).toBe(4), { timeout: 5000 });
    expect(v1.messages().length).toBeGreaterThan(0);
    expect(v2.messages().length).toBeGreaterThan(0);
    for (const delivered of [...v1.messages(), ...v2.messages()]) {
      const received = /^Received: from client\.test \(\[([\d.]+)\]:(\d+)\)\r\n/m.exec(delivered);
      expect(received, delivered).not.toBeNull();
      expect(received?.[1]).toBe(CLIENT);
      expect(ports).toContain(Number(received?.[2]));
      expect(delivered).not.toContain(PROXY);
    }
    // The health checks came with LOCAL (v2) or UNKNOWN (v1) headers, so as HAProxy's own address.
    for (const log of [v1.log(), v2.log()]) {
      expect(log).toContain(`connect id=`);
      expect(log).toContain(`remoteAddress=${PROXY}`);
      expect(log).not.toContain('PROXY header refused');
    }
  });

  it('marks a server DOWN once its esmtp has stopped, the other staying UP', async () => {
    await v1.stop();
    await vi.waitFor(async () => expect(await states()).toEqual({ v1: 'DOWN', v2: 'UP' }), {
      timeout: 10_000,
      interval: 100,
    });
  });
});
