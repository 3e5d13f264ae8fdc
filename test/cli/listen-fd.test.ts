import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { CLI, exited, plainSend, runSend } from '../helpers/cli.js';
import { type Inherited, PYTHON, withInheritedSocket } from '../helpers/inherited-socket.js';
import { describeWithPeer } from '../helpers/peers.js';

// esmtp serve --listen fd:3, as systemd's socket activation starts it: the socket is bound by
// another process and inherited as descriptor 3.

const children: Inherited[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.child.kill('SIGKILL');
});

describeWithPeer('python3', PYTHON, (python) => {
  for (const workers of [[], ['--workers', '2']]) {
    it(`${['serve --listen fd:3', ...workers].join(' ')}: delivers through the socket it inherited`, async () => {
      const maildir = join(mkdtempSync(join(tmpdir(), 'esmtp-fd-')), 'mail');
      const c = await withInheritedSocket(python, [
        process.execPath,
        CLI,
        'serve',
        '--listen',
        'fd:3',
        '--maildir',
        maildir,
        ...workers,
      ]);
      children.push(c);
      // It announces the address the other process bound.
      await c.line(new RegExp(`^esmtp listening on smtp://127\\.0\\.0\\.1:${c.port}$`), 10_000);
      for (let i = 0; i < 2; i++) {
        const outcome = await runSend(
          plainSend(c.port, 'alice@example.com', 'bob@example.org'),
          'Subject: fd\r\n\r\nhi\r\n',
        );
        expect(outcome.status).toBe(0);
      }
      expect(readdirSync(join(maildir, 'new'))).toHaveLength(2);
      c.child.kill('SIGTERM');
      expect(await exited(c.child, 40_000, c.stderr)).toBe(0);
      expect(c.stderr()).toContain('stopped: 2 messages delivered');
    }, 60_000);
  }
});
