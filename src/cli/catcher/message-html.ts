/**
 * A message's HTML part as the page shows it, in a sandboxed frame. The policy sent with it
 * sandboxes the document by itself (no scripts, an origin of its own, even when opened outside
 * the frame), loads no remote content (only `data:` images, which is what `cid:` images become)
 * and opens no link, until the user asks for remote images or links.
 * @module
 */
import type { Email } from 'postal-mime';
import { contentBytes } from './parse.js';

export interface HtmlView {
  /** Load remote images (http:, https:). */
  images: boolean;
  /** Let links open, in a new tab outside the sandbox. */
  links: boolean;
}

/** The Content-Security-Policy of the HTML part. */
export function htmlPolicy(view: HtmlView): string {
  const sandbox = view.links ? 'sandbox allow-popups allow-popups-to-escape-sandbox' : 'sandbox';
  const images = view.images ? 'img-src data: http: https:' : 'img-src data:';
  return `${sandbox}; default-src 'none'; ${images}; style-src 'unsafe-inline'; frame-ancestors 'self'; form-action 'none'; base-uri 'none'`;
}

/**
 * The HTML to show: `cid:` references replaced by the parts they name, links aimed at a new tab
 * (which the sandbox refuses to open until links are allowed), and no `<meta>` at all: its
 * `http-equiv="refresh"` would take the frame elsewhere without a click, and an attribute can be
 * spelled in too many ways (character references, quoted `>`) to be filtered. A tag's name cannot
 * be spelled with references, so `<meta` becomes the inert `<x-meta`. The `cid:` parts go in first,
 * so that nothing they bring escapes that.
 */
export function messageHtml(email: Email): string {
  let html = email.html ?? '';
  for (const attachment of email.attachments) {
    const id = attachment.contentId?.replace(/^<|>$/g, '');
    const type = attachment.mimeType.toLowerCase();
    // Only a plain image/subtype goes into the data: URL, which sits in an attribute.
    if (id === undefined || id === '' || !/^image\/[\w.+-]+$/.test(type)) continue;
    const data = `data:${type};base64,${Buffer.from(contentBytes(attachment.content)).toString('base64')}`;
    html = html.split(`cid:${id}`).join(data);
  }
  html = html.replace(/<meta\b/gi, '<x-meta');
  return `<!doctype html><base target="_blank"><meta charset="utf-8">${html}`;
}
