import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** Longer than any machine needs to end a process with nothing left to do; far below the ~27 s of the old resolver. */
const EXIT_BOUND = 15_000;

describe('deliver() against a DNS server that never answers', () => {
  let silent: Socket;
  let server: string;

  beforeAll(async () => {
    silent = createSocket('udp4'); // receives every query and answers none
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    server = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(() => silent.close());

  it('defers, and leaves no query running: the process ends soon after deliver() settles', async () => {
    const script = `
      import { deliver } from 'esmtp';
      const result = await deliver({ from: 'a@sender.test', to: ['b@silent.test'] }, 'Subject: x\\r\\n\\r\\nx\\r\\n', {
        dnsServers: [${JSON.stringify(server)}],
        timeouts: { dns: 300 },
      });
      console.log(JSON.stringify(result.recipients.map((r) => r.status)));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    const exited = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), EXIT_BOUND);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!exited) child.kill('SIGKILL');
    expect(out.trim()).toBe('["deferred"]');
    expect(exited, `the process was still running ${EXIT_BOUND} ms after it started`).toBe(true);
  }, 30_000);
});
