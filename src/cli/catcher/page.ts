/**
 * The page's files, plain HTML, CSS and a JavaScript module in page/, bundled into the command as
 * text (tsup's loader for .html, .css and .page.js), served with a policy that runs only them.
 * @module
 */

import style from './page/app.css';
import script from './page/app.page.js';
import html from './page/index.html';

/** The page may load its own files, frame the HTML parts the API serves, and nothing else. */
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const PAGE_FILES: Record<string, { body: string; type: string; policy: string } | undefined> = {
  '/': { body: html, type: 'text/html; charset=utf-8', policy: PAGE_POLICY },
  '/app.css': { body: style, type: 'text/css; charset=utf-8', policy: PAGE_POLICY },
  '/app.js': { body: script, type: 'text/javascript; charset=utf-8', policy: PAGE_POLICY },
};
