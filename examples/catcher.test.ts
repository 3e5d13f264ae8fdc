import { SmtpClient } from 'esmtp';
import { expect, test } from 'vitest';

// Where the catcher runs: esmtp serve --listen 127.0.0.1:2525 --ui 127.0.0.1:8025
const CATCHER = process.env.CATCHER_URL ?? 'http://127.0.0.1:8025';
const SMTP = process.env.SMTP_URL ?? 'smtp://127.0.0.1:2525';

/** What the catcher's API answers with (docs/catcher.md), as much as this test reads. */
interface Caught {
  id: string;
  subject: string;
  envelope: { to: string[] };
}

// The code under test: the application's function that sends a welcome message.
async function sendWelcome(to: string, code: string): Promise<void> {
  const client = await SmtpClient.connect(SMTP, { tls: 'none' });
  try {
    const message = `From: app@example.com\r\nTo: ${to}\r\nSubject: Welcome!\r\n\r\nYour code is ${code}.\r\n`;
    await client.send({ from: 'app@example.com', to: [to] }, message);
  } finally {
    await client.quit();
  }
}

test('a new user gets a welcome message with their code', async () => {
  const to = `user-${Date.now()}@example.org`;
  const since = Date.now();
  await sendWelcome(to, '482913');

  // Answers as soon as the message is there (at once if it already is), 408 after 10 s.
  const query = new URLSearchParams({ to, since: String(since), timeout: '10' });
  const found = await fetch(`${CATCHER}/api/messages/wait?${query}`);
  expect(found.status).toBe(200);
  const summary = (await found.json()) as Caught;
  expect(summary.subject).toBe('Welcome!');
  expect(summary.envelope.to).toEqual([to]);

  const full = await fetch(`${CATCHER}/api/messages/${encodeURIComponent(summary.id)}`);
  const message = (await full.json()) as { text: string | null };
  expect(message.text).toContain('Your code is 482913.');
});
