/**
 * The catcher's HTTP plumbing on node:http: the headers every response carries, JSON answers, the
 * request body with a bound, and the checks that keep other web sites out (DNS rebinding, forms
 * posted across origins).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';

/** A failure answered with its status and a JSON `{ error }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The policy of the API's answers: nothing in them may run, load or be framed. */
export const API_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox";

/** Headers on every response: no sniffing of types, no referrer sent on, nothing cached. */
export function secure(res: ServerResponse, policy: string): void {
  res.setHeader('Content-Security-Policy', policy);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  secure(res, API_POLICY);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': bytes.length,
  });
  res.end(bytes);
}

export function sendBytes(
  res: ServerResponse,
  bytes: Uint8Array | string,
  headers: Record<string, string>,
  policy = API_POLICY,
): void {
  const body = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  secure(res, policy);
  res.writeHead(200, { ...headers, 'Content-Length': body.length });
  res.end(body);
}

/** The request's body as JSON, at most `limit` octets, read within the server's request timeout. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  // A form of another site can post text/plain without asking; it cannot post JSON without CORS.
  if (!/^application\/json\s*(;|$)/i.test(type))
    throw new HttpError(415, 'the body must be application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `the body is larger than ${limit} octets`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}

/**
 * Refuses what another web site could make a browser send: a Host that is not a name of this
 * server (DNS rebinding: a name the attacker controls, pointed at this address) and a change from
 * another origin. IP literals, localhost and its subdomains, the listen host and the names given
 * with --ui-allow-host are this server's names; a rebinding attack needs a name of its own.
 */
export function checkOrigin(req: IncomingMessage, listenHost: string, allowHosts: readonly string[]): void {
  const host = req.headers.host ?? '';
  const name = hostName(host);
  if (!isOwnName(name, listenHost, allowHosts))
    throw new HttpError(
      403,
      `Host ${JSON.stringify(host)} is not a name of this server: allow it with --ui-allow-host ${name || 'NAME'}`,
    );
  const origin = req.headers.origin;
  if (req.method !== 'GET' && req.method !== 'HEAD' && origin !== undefined && origin !== `http://${host}`)
    throw new HttpError(403, `requests from ${origin} are not allowed`);
}

function hostName(host: string): string {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*))(?::\d+)?$/.exec(host);
  return (m?.[1] ?? m?.[2] ?? '').toLowerCase();
}

function isOwnName(name: string, listenHost: string, allowHosts: readonly string[]): boolean {
  if (name === '') return false;
  if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return true;
  return name === listenHost.toLowerCase() || allowHosts.includes(name);
}

/**
 * A Content-Disposition naming a file (RFC 6266): an ASCII fallback in quotes, and the name itself
 * in RFC 5987 encoding, so that no quote, line break or non-ASCII letter gets out of the header.
 */
export function contentDisposition(type: 'attachment' | 'inline', filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
