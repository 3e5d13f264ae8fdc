import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../src/cli/catcher/http.js';
import { detail } from '../../src/cli/catcher/parse.js';
import { MessageStore } from '../../src/cli/catcher/store.js';

/** A Maildir holding these messages (without envelopes), named as delivered one after another. */
function maildirWith(...messages: string[]): string {
  const maildir = join(mkdtempSync(join(tmpdir(), 'esmtp-catcher-')), 'mail');
  for (const sub of ['new', 'cur', 'tmp', 'envelopes']) mkdirSync(join(maildir, sub), { recursive: true });
  messages.forEach((message, i) => {
    writeFileSync(join(maildir, 'new', `1764757049.M1P1Q${i + 1}.host`), message);
  });
  return maildir;
}

describe("the catcher's index", () => {
  it('keeps at most 100 mailboxes of To and Cc in a summary, with their counts, and a bounded search text', async () => {
    const to = Array.from({ length: 3000 }, (_, i) => `user${i}@example.org`);
    const cc = Array.from({ length: 150 }, (_, i) => `copy${i}@example.org`);
    const body = 'word '.repeat(40_000);
    const message = `From: a@example.com\r\nTo: ${to.join(',\r\n ')}\r\nCc: ${cc.join(', ')}\r\nSubject: many\r\n\r\n${body}\r\n`;
    const store = new MessageStore(maildirWith(message), undefined);
    await store.load();
    let searched = '';
    store.on('added', (_summary, text) => {
      searched = text;
    });
    const [summary] = store.list({}, 0, 1).messages;
    expect(summary?.to).toHaveLength(100);
    expect(summary).toMatchObject({ toCount: 3000, ccCount: 150 });
    expect(summary?.cc).toHaveLength(100);
    expect(summary?.envelope.to).toHaveLength(200);
    // The full view has every mailbox.
    const full = detail((await store.parsed(summary?.id as string)) ?? expect.fail('parsed'));
    expect(full.to).toHaveLength(3000);
    expect(full.cc).toHaveLength(150);
    // A delivery's search text, as the events and the long poll get it, is bounded too.
    writeFileSync(join(store.maildir, 'new', '1764757050.M1P1Q9.host'), message);
    await store.add('1764757050.M1P1Q9.host', {
      from: 'a@example.com',
      to: ['user1@example.org'],
      client: '127.0.0.1',
      helo: null,
      user: null,
      secure: false,
      receivedAt: new Date().toISOString(),
      size: message.length,
    });
    expect(searched.length).toBeLessThanOrEqual(64 * 1024);
    expect(searched).toContain('user99@example.org');
  });

  it('parses at most 2 messages at once for the API, 8 more waiting; more at once get 503', async () => {
    const store = new MessageStore(
      maildirWith('From: a@example.com\r\nSubject: one\r\n\r\nhello\r\n'),
      undefined,
    );
    await store.load();
    const [summary] = store.list({}, 0, 1).messages;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => store.parsed(summary?.id as string)),
    );
    const done = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(done).toHaveLength(10);
    expect(refused).toHaveLength(10);
    for (const reason of refused) {
      expect(reason).toBeInstanceOf(HttpError);
      expect(reason).toMatchObject({ status: 503, headers: { 'Retry-After': '1' } });
    }
    // Once the burst is over, the next one is parsed.
    expect((await store.parsed(summary?.id as string))?.summary.subject).toBe('one');
  });

  it('a message deleted while it is read is not found, not an error', async () => {
    const store = new MessageStore(maildirWith(), undefined);
    await store.load();
    const failures: unknown[] = [];
    // Each round races a read against a delete; the read ends with the bytes or with nothing.
    for (let i = 0; i < 200; i++) {
      const name = `1764757051.M${i}P1Q${i}.host`;
      writeFileSync(join(store.maildir, 'new', name), `Subject: ${i}\r\n\r\nbody\r\n`);
      await store.add(name, {
        from: 'a@example.com',
        to: ['b@example.org'],
        client: '127.0.0.1',
        helo: null,
        user: null,
        secure: false,
        receivedAt: new Date().toISOString(),
        size: 20,
      });
      const [read] = await Promise.allSettled([store.raw(name), store.delete([name])]);
      if (read.status === 'rejected') failures.push(read.reason);
    }
    expect(failures).toEqual([]);
  });
});
