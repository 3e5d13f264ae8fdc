// Takes the screenshots of the catcher's page in README.md (docs/images/catcher-*.png): starts
// `esmtp serve --ui` on free ports with an empty Maildir, sends it a few messages, and photographs
// the page in chromium.
//   npm run build && node scripts/screenshots.mjs [/path/to/chromium]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SmtpClient } from 'esmtp';
import { chromium } from 'playwright-core';

const root = join(import.meta.dirname, '..');
const executablePath = process.argv[2] ?? '/usr/bin/chromium';
const maildir = mkdtempSync(join(tmpdir(), 'esmtp-screenshots-'));

const serve = spawn(
  process.execPath,
  [
    join(root, 'dist/cli.js'),
    'serve',
    '--listen',
    '127.0.0.1:0',
    '--ui',
    '127.0.0.1:0',
    '--maildir',
    maildir,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const { smtp, web } = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('esmtp serve did not start in 10 s')), 10_000);
  let web;
  createInterface({ input: serve.stdout }).on('line', (line) => {
    web ??= /web page on (\S+)/.exec(line)?.[1];
    const smtp = /listening on (smtp:\S+)/.exec(line)?.[1];
    if (smtp) {
      clearTimeout(timer);
      resolve({ smtp, web });
    }
  });
});

const messages = [
  {
    from: 'billing@shop.example',
    to: ['ann@example.org'],
    body: 'From: Shop <billing@shop.example>\r\nTo: ann@example.org\r\nSubject: Your receipt #1042\r\n\r\nThank you for your order.\r\n',
  },
  {
    from: 'noreply@app.example',
    to: ['ben@example.org'],
    body: 'From: App <noreply@app.example>\r\nTo: ben@example.org\r\nSubject: Reset your password\r\n\r\nUse the code 771204 within 10 minutes.\r\n',
  },
  {
    from: 'alice@example.com',
    to: ['bob@example.org', 'carol@example.org', 'audit@example.net'],
    body: [
      'From: Alice <alice@example.com>',
      'To: Bob <bob@example.org>',
      'Cc: carol@example.org',
      'Subject: Quarterly report',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: multipart/alternative; boundary="b2"',
      '',
      '--b2',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hi Bob, the numbers for the quarter are in: revenue is up 12%.',
      '--b2',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<div style="font-family: sans-serif"><h2 style="color:#0b63c5">Quarterly report</h2>',
      '<p>Hi Bob,</p><p>The numbers for the quarter are in: <b>revenue is up 12%</b>.</p>',
      '<p><img src="https://images.example/chart.png" alt="[chart: a remote image, not loaded]"></p>',
      '<p>See the attached figures.</p><p>Alice</p></div>',
      '--b2--',
      '--b1',
      'Content-Type: text/csv; name="figures.csv"',
      'Content-Disposition: attachment; filename="figures.csv"',
      '',
      'quarter,revenue',
      'Q3,1120',
      'Q4,1254',
      '--b1--',
      '',
    ].join('\r\n'),
  },
];

const client = await SmtpClient.connect(smtp, { tls: 'none' });
for (const m of messages) await client.send({ from: m.from, to: m.to }, m.body);
await client.quit();

const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'], timeout: 30_000 });
try {
  const desktop = await browser.newPage({ viewport: { width: 1100, height: 860 }, colorScheme: 'light' });
  desktop.setDefaultTimeout(10_000);
  await desktop.goto(web);
  await desktop.locator('#list [role="option"]').first().click();
  await desktop.frameLocator('#html-frame').locator('b').waitFor();
  await desktop.click('#envelope-box summary');
  await desktop.screenshot({ path: join(root, 'docs/images/catcher-desktop.png') });

  const phone = await browser.newPage({ viewport: { width: 360, height: 640 }, colorScheme: 'light' });
  phone.setDefaultTimeout(10_000);
  await phone.goto(web);
  await phone.locator('#list [role="option"]').first().waitFor();
  await phone.screenshot({ path: join(root, 'docs/images/catcher-phone.png') });
} finally {
  await browser.close();
  serve.kill();
  rmSync(maildir, { recursive: true, force: true });
}
console.log('wrote docs/images/catcher-desktop.png and docs/images/catcher-phone.png');
