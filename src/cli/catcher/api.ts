/**
 * The catcher's routes: the page, and the JSON API under /api (docs/catcher.md lists them).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventHub } from './events.js';
import { BadRequest, parseFilter } from './filter.js';
import { contentDisposition, HttpError, readJson, sendBytes, sendJson } from './http.js';
import { htmlPolicy, messageHtml } from './message-html.js';
import { PAGE_FILES } from './page.js';
import { contentBytes, detail } from './parse.js';
import { type ReleaseTarget, release, releaseRecipients } from './release.js';
import type { MessageStore } from './store.js';

/** The longest a long poll may wait, and how long it waits when not told. */
const MAX_WAIT = 60_000;
const DEFAULT_WAIT = 30_000;
const MAX_LIMIT = 500;

export interface Api {
  store: MessageStore;
  events: EventHub;
  releaseTo: ReleaseTarget | undefined;
}

export async function route(api: Api, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://catcher');
  const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
  const method = req.method ?? 'GET';
  const page = PAGE_FILES[url.pathname];
  if (page !== undefined) {
    allow(method, 'GET');
    return sendBytes(res, page.body, { 'Content-Type': page.type }, page.policy);
  }
  if (parts[0] !== 'api') throw new HttpError(404, `no such page: ${url.pathname}`);
  const [, resource, id, sub, index, extra] = parts;
  const params = url.searchParams;

  if (resource === 'info' && id === undefined) {
    allow(method, 'GET');
    return sendJson(res, 200, { release: api.releaseTo !== undefined });
  }
  if (resource === 'events' && id === undefined) {
    allow(method, 'GET');
    return api.events.stream(res);
  }
  if (resource !== 'messages') throw new HttpError(404, `no such resource: ${url.pathname}`);

  if (id === undefined) {
    allow(method, 'GET', 'DELETE');
    if (method === 'DELETE') return sendJson(res, 200, { deleted: await api.store.delete() });
    const offset = count(params, 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const limit = count(params, 'limit', 1, MAX_LIMIT) ?? 50;
    return sendJson(res, 200, { ...api.store.list(parseFilter(params), offset, limit), offset, limit });
  }
  if (id === 'wait' && sub === undefined) {
    allow(method, 'GET');
    const seconds = Number(params.get('timeout') ?? DEFAULT_WAIT / 1000);
    if (!(seconds > 0 && seconds * 1000 <= MAX_WAIT))
      throw new BadRequest(`timeout is in seconds, more than 0 and at most ${MAX_WAIT / 1000}`);
    return api.events.wait(res, parseFilter(params), Math.round(seconds * 1000));
  }
  if (!api.store.has(id)) throw new HttpError(404, `no message ${id}`);

  if (sub === undefined) {
    allow(method, 'GET', 'DELETE');
    if (method === 'DELETE') {
      await api.store.delete([id]);
      return sendJson(res, 200, { deleted: [id] });
    }
    return sendJson(res, 200, detail(await parsed(api, id)));
  }
  if (sub === 'raw' && index === undefined) {
    allow(method, 'GET');
    const raw = await api.store.raw(id);
    if (raw === undefined) throw new HttpError(404, `no message ${id}`);
    return sendBytes(res, raw, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Disposition': contentDisposition('inline', `${id}.eml`),
    });
  }
  if (sub === 'html' && index === undefined) {
    allow(method, 'GET');
    const { email } = await parsed(api, id);
    if (email.html === undefined) throw new HttpError(404, `message ${id} has no HTML part`);
    const view = { images: params.get('images') === '1', links: params.get('links') === '1' };
    return sendBytes(
      res,
      messageHtml(email),
      { 'Content-Type': 'text/html; charset=utf-8' },
      htmlPolicy(view),
    );
  }
  if (sub === 'attachments' && index !== undefined && extra === undefined) {
    allow(method, 'GET');
    const { email } = await parsed(api, id);
    const attachment = /^\d+$/.test(index) ? email.attachments[Number(index)] : undefined;
    if (attachment === undefined) throw new HttpError(404, `message ${id} has no attachment ${index}`);
    const type = /^[\w.+-]+\/[\w.+-]+$/.test(attachment.mimeType)
      ? attachment.mimeType
      : 'application/octet-stream';
    const name = attachment.filename ?? `attachment-${Number(index) + 1}`;
    return sendBytes(res, contentBytes(attachment.content), {
      'Content-Type': type,
      'Content-Disposition': contentDisposition('attachment', name),
    });
  }
  if (sub === 'release' && index === undefined) {
    allow(method, 'POST');
    // Without --release-to there is nowhere to release to: the page cannot choose a server.
    if (api.releaseTo === undefined)
      throw new HttpError(404, 'release is not enabled (esmtp serve --release-to)');
    const body = await readJson(req, 64 * 1024);
    const { summary } = await parsed(api, id);
    const to = releaseRecipients(body, summary.envelope.to);
    const raw = await api.store.raw(id);
    if (raw === undefined) throw new HttpError(404, `no message ${id}`);
    const outcome = await release(api.releaseTo, summary.envelope.from, to, raw);
    return sendJson(res, 200, outcome);
  }
  throw new HttpError(404, `no such resource: ${url.pathname}`);
}

/** 405 with Allow for a method the resource does not take. */
function allow(method: string, ...methods: string[]): void {
  if (!methods.includes(method)) {
    throw new HttpError(405, `${method} is not allowed here`, { Allow: methods.join(', ') });
  }
}

async function parsed(api: Api, id: string) {
  const found = await api.store.parsed(id);
  if (found === undefined) throw new HttpError(404, `no message ${id}`);
  return found;
}

/** A whole-number parameter between `min` and `max`, or undefined when absent. */
function count(params: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max)
    throw new BadRequest(`${name} is a whole number from ${min} to ${max}`);
  return Number(text);
}
