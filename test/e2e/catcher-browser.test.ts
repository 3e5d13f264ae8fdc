import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { plainSend, type RunningServe, runSend, startServe } from '../helpers/cli.js';
import { describeWithPeer, findProgram } from '../helpers/peers.js';

// The page in a real browser: Debian's chromium, driven by playwright-core, headless.
const chromiumPath = findProgram(['/usr/bin/chromium', 'chromium']);
const swaks = findProgram(['swaks'], ['--version']);
const peers = chromiumPath !== undefined && swaks !== undefined ? chromiumPath : undefined;

/** Every wait in the browser ends: an action or an expectation fails after this long. */
const WAIT = 10_000;
/** A test sends a few messages (a process each) and waits a few times. */
const TEST = 60_000;

/** A message with a text part, an HTML part (a remote image, a link, a script) and an attachment. */
function report(remote: string): string {
  return [
    'From: Alice <alice@example.com>',
    'To: Bob <bob@example.org>',
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
    'The numbers are in (plain text).',
    '--b2',
    'Content-Type: text/html; charset=utf-8',
    '',
    `<p>The <b id="bold">numbers</b> are in.</p><img src="${remote}/pixel.png" alt="tracker">`,
    `<p><a id="link" href="${remote}/landing">the landing page</a></p>`,
    '<script>parent.document.title = "hacked"; document.body.dataset.ran = "yes";</script>',
    '--b2--',
    '--b1',
    'Content-Type: application/octet-stream; name="numbers.bin"',
    'Content-Disposition: attachment; filename="numbers.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    'AAECA/8=',
    '--b1--',
    '',
  ].join('\r\n');
}

const note = (subject: string, to = 'bob@example.org') =>
  `From: carol@example.com\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nA short note: ${subject}.\r\n`;

describeWithPeer('chromium and swaks', peers, (executablePath) => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let serve: RunningServe;
  /** The server of --release-to. */
  let upstream: RunningServe;
  let web: string;
  let remote: Server;
  let remoteUrl: string;
  /** The requests the remote server saw (the image, the link). */
  const fetched: string[] = [];

  beforeAll(async () => {
    upstream = await startServe([]);
    serve = await startServe(['--ui', '127.0.0.1:0', '--release-to', `smtp://127.0.0.1:${upstream.port}`]);
    web = /esmtp web page on (http:\/\/\S+)\//.exec(serve.stdout())?.[1] as string;
    // The "remote" site of the message's image and link: a server of the test's own.
    remote = createServer((req, res) => {
      fetched.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('remote');
    });
    await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
    remoteUrl = `http://127.0.0.1:${(remote.address() as { port: number }).port}`;
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'], timeout: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop('SIGKILL');
    await upstream?.stop('SIGKILL');
    await new Promise((resolve) => remote?.close(resolve));
  }, TEST);

  beforeEach(async () => {
    await fetch(`${web}/api/messages`, { method: 'DELETE', signal: AbortSignal.timeout(WAIT) });
    fetched.length = 0;
    await context?.close();
    context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    await page.goto(web);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: WAIT }).toBe('0 messages');
  }, TEST);

  const items = () => page.locator('#list [role="option"]');

  async function sendWithEsmtp(message: string, ...to: string[]) {
    const outcome = await runSend(plainSend(serve.port, 'alice@example.com', ...to), message);
    expect(outcome.status, outcome.stderr).toBe(0);
  }

  function sendWithSwaks(message: string, to: string): Promise<void> {
    const file = join(mkdtempSync(join(tmpdir(), 'esmtp-swaks-')), 'message.eml');
    writeFileSync(file, message);
    const args = [
      '--server',
      `127.0.0.1:${serve.port}`,
      '--from',
      'carol@example.com',
      '--to',
      to,
      '--data',
      `@${file}`,
    ];
    return new Promise((resolve, reject) => {
      execFile(swaks as string, args, { timeout: WAIT }, (error, _stdout, stderr) =>
        error === null ? resolve() : reject(new Error(`swaks failed: ${stderr}`)),
      );
    });
  }

  it(
    'shows mail from esmtp send and from swaks as it arrives, without a reload',
    async () => {
      // A mark in the page's window: a reload would lose it.
      await page.evaluate('window.loadedOnce = true');
      await sendWithEsmtp(note('first'), 'bob@example.org');
      await expect.poll(() => items().count(), { timeout: WAIT }).toBe(1);
      await sendWithSwaks(note('second'), 'dave@example.org');
      await expect
        .poll(() => items().allTextContents(), { timeout: WAIT })
        .toEqual([expect.stringContaining('second'), expect.stringContaining('first')]);
      expect(await page.evaluate('window.loadedOnce')).toBe(true);
    },
    TEST,
  );

  it(
    'opens a message: the HTML part sandboxed, no script run, remote images and links only when asked',
    async () => {
      await sendWithEsmtp(report(remoteUrl), 'bob@example.org', 'secret@example.net');
      await items().first().click();
      await expect
        .poll(() => page.locator('#subject').textContent(), { timeout: WAIT })
        .toBe('Quarterly report');
      const frame = page.frameLocator('#html-frame');
      expect(await frame.locator('#bold').textContent()).toBe('numbers');
      // The script in the message ran neither in the page nor in its frame.
      expect(await page.title()).not.toBe('hacked');
      expect(await frame.locator('body').getAttribute('data-ran')).toBeNull();
      expect(await page.locator('#html-frame').getAttribute('sandbox')).toBe('');
      // No request for the remote image until the button is pressed.
      await page.waitForTimeout(300);
      expect(fetched).toEqual([]);
      await page.click('#load-images');
      await expect.poll(() => fetched, { timeout: WAIT }).toContain('/pixel.png');
      // A link opens nothing until links are allowed; then it opens in a new tab.
      const popups: Page[] = [];
      context.on('page', (p) => popups.push(p));
      await frame.locator('#link').click();
      await page.waitForTimeout(500);
      expect(popups).toEqual([]);
      expect(fetched).not.toContain('/landing');
      await page.click('#allow-links');
      const opened = context.waitForEvent('page', { timeout: WAIT });
      await page.frameLocator('#html-frame').locator('#link').click();
      await (await opened).waitForLoadState('load', { timeout: WAIT });
      expect(fetched).toContain('/landing');
    },
    TEST,
  );

  it(
    'shows the text part, the headers, the raw source and the envelope with the Bcc recipient marked',
    async () => {
      await sendWithEsmtp(report(remoteUrl), 'bob@example.org', 'secret@example.net');
      await items().first().click();
      await page.click('[data-view="text"]');
      expect(await page.locator('#view-text').textContent()).toContain('The numbers are in (plain text).');
      await page.click('[data-view="headers"]');
      expect(await page.locator('#headers').textContent()).toContain('Quarterly report');
      await page.click('[data-view="raw"]');
      await expect
        .poll(() => page.locator('#view-raw').textContent(), { timeout: WAIT })
        .toContain('Return-Path: <alice@example.com>');
      await page.click('#envelope-box summary');
      const envelope = page.locator('#envelope');
      expect(await envelope.textContent()).toContain('<alice@example.com>');
      const secret = envelope.locator('dd', { hasText: 'secret@example.net' });
      expect(await secret.locator('.bcc').textContent()).toBe('Bcc');
      expect(await envelope.locator('dd', { hasText: 'bob@example.org' }).locator('.bcc').count()).toBe(0);
      expect(await page.locator('#addresses').textContent()).toContain('secret@example.net');
    },
    TEST,
  );

  it(
    'downloads an attachment, byte for byte',
    async () => {
      await sendWithEsmtp(report(remoteUrl), 'bob@example.org');
      await items().first().click();
      const link = page.locator('#attachments a');
      expect(await link.textContent()).toContain('numbers.bin');
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT }), link.click()]);
      expect(download.suggestedFilename()).toBe('numbers.bin');
      const path = await download.path();
      expect([...readFileSync(path)]).toEqual([0, 1, 2, 3, 255]);
    },
    TEST,
  );

  it(
    'searches by sender, recipient, subject and text',
    async () => {
      await sendWithEsmtp(note('apples', 'ann@example.org'), 'ann@example.org');
      await sendWithEsmtp(note('pears', 'ben@example.org'), 'ben@example.org');
      await expect.poll(() => items().count(), { timeout: WAIT }).toBe(2);
      const shown = () => page.locator('#list .subject').allTextContents();
      await page.fill('#search', 'pears');
      await expect.poll(shown, { timeout: WAIT }).toEqual(['pears']);
      await page.fill('#search', 'ann@example');
      await expect.poll(shown, { timeout: WAIT }).toEqual(['apples']);
      await page.fill('#search', 'a short note');
      await expect.poll(shown, { timeout: WAIT }).toEqual(['pears', 'apples']);
      await page.fill('#search', 'nothing like it');
      await expect.poll(shown, { timeout: WAIT }).toEqual([]);
    },
    TEST,
  );

  it(
    'deletes one message, then all of them',
    async () => {
      for (const subject of ['one', 'two', 'three']) await sendWithEsmtp(note(subject), 'bob@example.org');
      await expect.poll(() => items().count(), { timeout: WAIT }).toBe(3);
      await items().nth(1).click();
      await page.click('#delete');
      await expect
        .poll(() => page.locator('#list .subject').allTextContents(), { timeout: WAIT })
        .toEqual(['three', 'one']);
      page.once('dialog', (dialog) => dialog.accept());
      await page.click('#delete-all');
      await expect.poll(() => items().count(), { timeout: WAIT }).toBe(0);
      expect(serve.messages()).toEqual([]);
    },
    TEST,
  );

  it(
    'releases a message to the recipients its envelope has, and to no other',
    async () => {
      await sendWithEsmtp(note('onward'), 'bob@example.org', 'dave@example.net');
      await items().first().click();
      let offered = '';
      page.once('dialog', (dialog) => {
        offered = dialog.defaultValue();
        void dialog.accept('dave@example.net');
      });
      await page.click('#release');
      await expect
        .poll(() => page.locator('#status').textContent(), { timeout: WAIT })
        .toBe('released to dave@example.net');
      expect(offered).toBe('bob@example.org, dave@example.net');
      await expect.poll(() => upstream.messages().length, { timeout: WAIT }).toBe(1);
      expect(upstream.messages()[0]).toMatch(/for <dave@example\.net>/);
      page.once('dialog', (dialog) => void dialog.accept('eve@example.com'));
      await page.click('#release');
      await expect
        .poll(() => page.locator('#status').textContent(), { timeout: WAIT })
        .toMatch(/not a recipient of the message/);
      expect(upstream.messages()).toHaveLength(1);
    },
    TEST,
  );

  it(
    'works by keyboard: / to search, arrows and j/k to move, Delete to delete, a visible focus',
    async () => {
      for (const subject of ['one', 'two', 'three']) await sendWithEsmtp(note(subject), 'bob@example.org');
      await expect.poll(() => items().count(), { timeout: WAIT }).toBe(3);
      const focused = () =>
        page.evaluate(
          "document.activeElement.querySelector('.subject')?.textContent ?? document.activeElement.id",
        );
      await page.keyboard.press('/');
      expect(await focused()).toBe('search');
      await page.keyboard.press('Escape');
      expect(await focused()).toBe('three');
      const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
      expect(outline).toBe('solid');
      await page.keyboard.press('ArrowDown');
      expect(await focused()).toBe('two');
      await expect.poll(() => page.locator('#subject').textContent(), { timeout: WAIT }).toBe('two');
      await page.keyboard.press('j');
      expect(await focused()).toBe('one');
      await page.keyboard.press('k');
      expect(await focused()).toBe('two');
      await page.keyboard.press('Delete');
      await expect
        .poll(() => page.locator('#list .subject').allTextContents(), { timeout: WAIT })
        .toEqual(['three', 'one']);
      expect(['three', 'one']).toContain(await focused());
    },
    TEST,
  );

  it(
    'on a phone-sized screen shows the list, then a message, then the list again',
    async () => {
      await sendWithEsmtp(note('on the phone'), 'bob@example.org');
      const phone = await browser.newContext({
        viewport: { width: 375, height: 667 },
        isMobile: true,
        hasTouch: true,
      });
      try {
        const small = await phone.newPage();
        small.setDefaultTimeout(WAIT);
        await small.goto(web);
        const item = small.locator('#list [role="option"]').first();
        await item.waitFor({ state: 'visible', timeout: WAIT });
        // The list is drawn again as events come in: the item may be replaced between two looks.
        await expect
          .poll(async () => (await item.boundingBox())?.width, { timeout: WAIT })
          .toBeLessThanOrEqual(375);
        await item.tap();
        await small.locator('#message-pane').waitFor({ state: 'visible', timeout: WAIT });
        expect(await small.locator('#subject').textContent()).toBe('on the phone');
        expect(await small.locator('#list-pane').isVisible()).toBe(false);
        await small.locator('#back').tap();
        await item.waitFor({ state: 'visible', timeout: WAIT });
        expect(await small.locator('#message-pane').isVisible()).toBe(false);
      } finally {
        await phone.close();
      }
    },
    TEST,
  );
});
