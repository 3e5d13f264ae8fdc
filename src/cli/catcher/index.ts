/**
 * The mail catcher of `esmtp serve --ui`: the Maildir's messages and envelopes, a web page and a
 * JSON API on node:http, all in the server's process.
 * @module
 */
import { createServer, type Server } from 'node:http';
import { type Api, route } from './api.js';
import type { StoredEnvelope } from './envelope.js';
import { EventHub } from './events.js';
import { BadRequest } from './filter.js';
import { checkOrigin, HttpError, sendJson } from './http.js';
import type { CatcherConfig } from './options.js';
import { MessageStore } from './store.js';

export { createEnvelopeDir, deliverWithEnvelope, storedEnvelope } from './envelope.js';
export {
  acceptAnyAuth,
  CATCHER_OPTIONS,
  CATCHER_USAGE,
  type CatcherConfig,
  catcherConfig,
  withUiDefault,
} from './options.js';

export interface Catcher {
  /**
   * Tells the page and the API of a message delivered into new/. It never fails: the message is
   * delivered whatever happens here (a failure goes to `onError`, and a restart shows it).
   */
  added(name: string, envelope: StoredEnvelope): Promise<void>;
  /** Where the page is, http://HOST:PORT/. */
  url: string;
  close(): Promise<void>;
}

/** Loads the Maildir and serves the page and the API. */
export async function startCatcher(
  config: CatcherConfig,
  maildir: string,
  onError: (error: Error) => void,
): Promise<Catcher> {
  const store = new MessageStore(maildir, config.maxMessages);
  await store.load();
  const events = new EventHub(store);
  const api: Api = { store, events, releaseTo: config.releaseTo };
  const server = createServer((req, res) => {
    handle(api, config, req, res).catch(onError);
  });
  // Bounds for what a client sends; an SSE stream or a long poll lasts past them, as it should.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxConnections = 256;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  server.on('error', onError);
  const { port } = server.address() as { port: number };
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  return {
    added: (name, envelope) => store.add(name, envelope).catch(onError),
    url: `http://${host}:${port}/`,
    close: () => stop(server, events),
  };
}

async function handle(
  api: Api,
  config: CatcherConfig,
  req: Parameters<typeof route>[1],
  res: Parameters<typeof route>[2],
) {
  try {
    checkOrigin(req, config.listen.host, config.allowHosts);
    await route(api, req, res);
  } catch (error) {
    if (res.headersSent) return void res.destroy();
    if (error instanceof HttpError) {
      for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
      return sendJson(res, error.status, { error: error.message });
    }
    if (error instanceof BadRequest || error instanceof URIError)
      return sendJson(res, 400, { error: error.message });
    sendJson(res, 500, { error: 'internal error' });
    throw error;
  }
}

function stop(server: Server, events: EventHub): Promise<void> {
  events.close();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
