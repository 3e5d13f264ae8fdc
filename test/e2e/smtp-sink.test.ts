import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';
import { describeWithPeer } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

// Debian installs Postfix's tools outside a user's PATH.
const sink = ['/usr/sbin/smtp-sink', '/usr/local/sbin/smtp-sink'].find((path) => existsSync(path));

describeWithPeer("Postfix's smtp-sink", sink, (program) => {
  let child: ChildProcess;
  let port: number;
  const dump = mkdtempSync(join(tmpdir(), 'esmtp-sink-'));

  beforeAll(async () => {
    chmodSync(dump, 0o777); // smtp-sink drops root privileges before writing
    port = await freePort();
    const asUser = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
    child = spawn(program, [...asUser, '-d', `${dump}/%Y%m%d%H%M%S.`, `127.0.0.1:${port}`, '100'], {
      stdio: 'ignore',
    });
    // Wait until it accepts connections.
    await vi.waitFor(
      () =>
        new Promise<void>((resolve, reject) => {
          const probe = createServer();
          probe.once('error', () => resolve()); // the port is taken: smtp-sink is listening
          probe.listen(port, '127.0.0.1', () => probe.close(() => reject(new Error('not listening yet'))));
        }),
      { timeout: 5000, interval: 50 },
    );
  });

  afterAll(() => {
    child.kill();
  });

  it('receives pipelined messages from SmtpClient, each dumped as sent', async () => {
    const client = await SmtpClient.connect(`smtp://127.0.0.1:${port}`, { tls: 'none' });
    expect(client.capabilities.pipelining).toBe(true);
    for (let i = 0; i < 5; i++) {
      const body = `Subject: sink ${i}\r\n\r\nline one\r\n.dot line ${i}\r\n`;
      const result = await client.send(
        { from: 'alice@example.com', to: ['bob@example.org', 'carol@example.org'] },
        body,
      );
      expect(result.accepted).toHaveLength(2);
    }
    await client.quit();
    await vi.waitFor(() => expect(readdirSync(dump)).toHaveLength(5), { timeout: 5000 });
    const dumped = readdirSync(dump).map((f) => readFileSync(join(dump, f), 'latin1'));
    // smtp-sink writes its dumps with LF line ends, after headers of its own.
    for (let i = 0; i < 5; i++) {
      expect(dumped.some((d) => d.includes(`\nSubject: sink ${i}\n\nline one\n.dot line ${i}\n`))).toBe(true);
    }
    expect(dumped[0]).toContain('X-Rcpt-Args: <bob@example.org>\nX-Rcpt-Args: <carol@example.org>\n');
  });
});
