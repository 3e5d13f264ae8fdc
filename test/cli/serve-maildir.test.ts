import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { plainSend, type RunningServe, runSend, type ServeOptions, startServe } from '../helpers/cli.js';

const running: RunningServe[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop('SIGKILL')));
});

async function serve(args: string[], options: ServeOptions = {}) {
  const s = await startServe(['--verbose', ...args], options);
  running.push(s);
  return s;
}

const send = (s: RunningServe, message: string) =>
  runSend(plainSend(s.port, 'alice@example.com', 'bob@example.org'), message);

/** The id the server gave the one connection it logged. */
const connectionId = (s: RunningServe) => /connect id=(\S+)/.exec(s.log())?.[1];

describe('esmtp serve leaves nothing in tmp/ when a message is not delivered, and logs why', () => {
  it('says in its banner where mail is written', async () => {
    const s = await serve([]);
    expect(s.stdout()).toContain(`esmtp delivering to ${join(s.maildir, 'new')}\n`);
  });

  it('the rename into new/ fails: 451, the file in tmp/ is removed', async () => {
    const s = await serve([]);
    rmSync(join(s.maildir, 'new'), { recursive: true });
    writeFileSync(join(s.maildir, 'new'), ''); // a file where the directory was: ENOTDIR
    const outcome = await send(s, 'Subject: lost?\r\n\r\nno\r\n');
    expect(outcome.status).toBe(1);
    expect(outcome.json.reply).toMatch(/^451 4\.3\.0/);
    await vi.waitFor(() => expect(s.log()).toContain(`not delivered id=${connectionId(s)} error=ENOTDIR`));
    expect(readdirSync(join(s.maildir, 'tmp'))).toEqual([]);
  });

  it('a write fails (past the file size limit: EFBIG): 451, not a message cut short and a 250; tmp/ is emptied', async () => {
    const s = await serve([], { fileSizeLimit: 2 });
    const outcome = await send(s, `Subject: big\r\n\r\n${'x'.repeat(5000)}\r\n`);
    expect(outcome.json.reply).toMatch(/^451 4\.3\.0/);
    await vi.waitFor(() => expect(s.log()).toContain(`not delivered id=${connectionId(s)} error=EFBIG`));
    expect(readdirSync(join(s.maildir, 'tmp'))).toEqual([]);
    expect(readdirSync(join(s.maildir, 'new'))).toEqual([]);
  });

  it('the message stream errors (552 over --size): the file in tmp/ is removed', async () => {
    const s = await serve(['--size', '1000']);
    const outcome = await send(s, `Subject: big\r\n\r\n${'x'.repeat(5000)}\r\n`);
    expect(outcome.json.reply).toMatch(/^552 5\.3\.4/);
    // The line is logged once the file is gone; the server answers a 552 without waiting for that.
    await vi.waitFor(() => expect(s.log()).toContain(`not delivered id=${connectionId(s)} error=552 5.3.4`));
    expect(readdirSync(join(s.maildir, 'tmp'))).toEqual([]);
    expect(readdirSync(join(s.maildir, 'new'))).toEqual([]);
  });
});
