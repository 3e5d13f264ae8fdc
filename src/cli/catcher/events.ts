/**
 * What the catcher pushes: Server-Sent Events for each message added or deleted, and the long
 * poll that answers when a matching message arrives. Each is dropped when its client goes; every
 * wait has a deadline; a client that does not read its events is cut off, not buffered for.
 * @module
 */
import type { ServerResponse } from 'node:http';
import { type MessageFilter, matches } from './filter.js';
import { API_POLICY, secure, sendJson } from './http.js';
import type { MessageSummary } from './parse.js';
import type { MessageStore } from './store.js';

/** A comment line this often keeps proxies from closing a quiet stream, and finds dead clients. */
const HEARTBEAT = 15_000;
/** Events a client has not taken yet, in octets, before it is cut off. */
const BACKLOG = 1 << 20;

export class EventHub {
  readonly #open = new Set<() => void>();

  constructor(readonly store: MessageStore) {}

  /** GET /api/events: `message` (a summary) and `delete` (`{ ids }`) events until the client goes. */
  stream(res: ServerResponse): void {
    secure(res, API_POLICY);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    const send = (text: string) => {
      if (res.destroyed) return;
      if (res.writableLength > BACKLOG) return res.destroy();
      res.write(text);
    };
    send('retry: 2000\n\n');
    const added = (summary: MessageSummary) => send(`event: message\ndata: ${JSON.stringify(summary)}\n\n`);
    const deleted = (ids: string[]) => send(`event: delete\ndata: ${JSON.stringify({ ids })}\n\n`);
    const heartbeat = setInterval(() => send(': heartbeat\n\n'), HEARTBEAT);
    this.store.on('added', added);
    this.store.on('deleted', deleted);
    const close = () => {
      clearInterval(heartbeat);
      this.store.off('added', added);
      this.store.off('deleted', deleted);
      this.#open.delete(close);
      res.end();
    };
    this.#open.add(close);
    res.once('close', close);
  }

  /**
   * GET /api/messages/wait: answers at once with the newest message that matches (one received
   * since `since`, when given), else with the first that arrives, else 408 after `timeout` ms.
   */
  wait(res: ServerResponse, filter: MessageFilter, timeout: number): void {
    const found = this.store.newest(filter);
    if (found !== undefined) return sendJson(res, 200, found);
    const added = (summary: MessageSummary, searchText: string) => {
      if (!matches(summary, searchText, filter)) return;
      close();
      sendJson(res, 200, summary);
    };
    const timer = setTimeout(() => {
      close();
      sendJson(res, 408, { error: `no message matched within ${timeout} ms` });
    }, timeout);
    const close = () => {
      clearTimeout(timer);
      this.store.off('added', added);
      this.#open.delete(close);
    };
    this.store.on('added', added);
    this.#open.add(close);
    res.once('close', close);
  }

  /** Ends every stream and wait (when the server stops). */
  close(): void {
    for (const close of [...this.#open]) close();
  }
}
