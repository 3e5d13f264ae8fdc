import type { Email } from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { contentDisposition } from '../../src/cli/catcher/http.js';
import { messageHtml } from '../../src/cli/catcher/message-html.js';
import { withUiDefault } from '../../src/cli/catcher/options.js';
import { PAGE_FILES } from '../../src/cli/catcher/page.js';

const file = (path: string) => PAGE_FILES[path]?.body ?? '';

describe("the catcher's page files (loaded as text, as the command's build bundles them)", () => {
  it('the page loads only its own script and style: nothing inline that its policy would block', () => {
    const html = file('/');
    expect(html).toContain('<script type="module" src="/app.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/app.css">');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/i);
    expect(PAGE_FILES['/']?.policy).toMatch(/script-src 'self';/);
  });

  it('every element the script looks up by id is in the page', () => {
    const ids = [...file('/app.js').matchAll(/\$\('([\w-]+)'\)/g)].map((m) => m[1]);
    const dynamic = new Set(['view-html', 'view-text', 'view-headers', 'view-raw']);
    expect(ids.length).toBeGreaterThan(10);
    for (const id of new Set([...ids, ...dynamic])) expect(file('/'), id).toContain(`id="${id}"`);
  });

  it('the script puts nothing of a message into the page as HTML', () => {
    expect(file('/app.js')).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });
});

describe('Content-Disposition of a download (RFC 6266)', () => {
  it('quotes an ASCII fallback and encodes the name, so no quote or line break leaves the header', () => {
    expect(contentDisposition('attachment', 'report.pdf')).toBe(
      `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
    );
    expect(contentDisposition('attachment', 'a"b\\c\r\nSet-Cookie: x.txt')).toBe(
      `attachment; filename="a_b_c__Set-Cookie: x.txt"; filename*=UTF-8''a%22b%5Cc%0D%0ASet-Cookie%3A%20x.txt`,
    );
    expect(contentDisposition('inline', "naïve (1)'s*.txt")).toBe(
      `inline; filename="na_ve (1)'s*.txt"; filename*=UTF-8''na%C3%AFve%20%281%29%27s%2a.txt`,
    );
  });
});

describe('--ui without a value', () => {
  it('means 127.0.0.1:8025, last or before another option; a value given is kept', () => {
    expect(withUiDefault(['--ui'])).toEqual(['--ui', '127.0.0.1:8025']);
    expect(withUiDefault(['--ui', '--max-messages', '5'])).toEqual([
      '--ui',
      '127.0.0.1:8025',
      '--max-messages',
      '5',
    ]);
    expect(withUiDefault(['--ui', '9000', '--quiet'])).toEqual(['--ui', '9000', '--quiet']);
    expect(withUiDefault(['--maildir', 'x'])).toEqual(['--maildir', 'x']);
  });
});

describe("a message's HTML part as the page shows it", () => {
  const email = (html: string, attachments: Partial<Email['attachments'][number]>[] = []): Email =>
    ({ headers: [], headerLines: [], html, attachments }) as unknown as Email;
  /** The <meta> elements a browser would see in the HTML shown. */
  const metas = (html: string) => html.match(/<meta\b[^>]*>/gi)?.slice(1) ?? [];

  it('keeps no <meta> of the message, however its refresh is spelled', () => {
    for (const tag of [
      '<meta http-equiv="refresh" content="0; url=http://tracker.example/">',
      '<meta http-equiv="&#114;efresh" content="0; url=http://tracker.example/">',
      '<meta content="a>b" http-equiv="refresh" content="0; url=http://tracker.example/">',
      '<META\nHTTP-EQUIV=Refresh CONTENT="0;URL=http://tracker.example/">',
    ]) {
      expect(metas(messageHtml(email(`<p>hi</p>${tag}`))), tag).toEqual([]);
    }
    expect(messageHtml(email('<meta name="x">'))).toContain('<x-meta name="x">');
    // The page's own charset is the only one left.
    expect(messageHtml(email('<p>hi</p>'))).toMatch(
      /^<!doctype html><base target="_blank"><meta charset="utf-8"><p>/,
    );
  });

  it('inlines a cid: image of a plain image type; a type that could leave the attribute is not used', () => {
    const png = { contentId: '<logo@x>', mimeType: 'image/png', content: new Uint8Array([1, 2, 3]) };
    expect(messageHtml(email('<img src="cid:logo@x">', [png]))).toContain(
      '<img src="data:image/png;base64,AQID">',
    );
    const hostile = {
      contentId: '<evil@x>',
      mimeType: 'image/x"><meta http-equiv="refresh" content="0;url=http://tracker.example/"><x y="',
      content: new Uint8Array([1]),
    };
    const shown = messageHtml(email('<img src="cid:evil@x">', [hostile]));
    expect(metas(shown)).toEqual([]);
    expect(shown).toContain('<img src="cid:evil@x">');
  });
});
