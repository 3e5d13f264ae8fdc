/**
 * Releasing a caught message to the one server the operator named with --release-to, through
 * esmtp's own SmtpClient. Nothing else is reachable from the page: no URL comes from a request.
 * @module
 */
import { SmtpClient } from '../../client/smtp-client.js';
import { replyText } from '../../protocol/reply.js';
import { UsageError } from '../args.js';
import { HttpError } from './http.js';

/** Where released messages go: the URL without its credentials, and those apart. */
export interface ReleaseTarget {
  url: string;
  auth: { username: string; password: string } | undefined;
}

export function parseReleaseTarget(text: string): ReleaseTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError('--release-to needs a URL: smtp://[USER:PASS@]HOST[:PORT] or smtps://...');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
    throw new UsageError('--release-to is an smtp:// or smtps:// URL');
  const auth =
    url.username === ''
      ? undefined
      : { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  url.username = '';
  url.password = '';
  return { url: url.href, auth };
}

/**
 * The recipients a release request names: some of the message's own envelope recipients (all of
 * them when it names none). Release sends with the operator's credentials, so it must not relay
 * a caught message to addresses a page or a script chose.
 */
export function releaseRecipients(body: unknown, original: readonly string[]): string[] {
  // A file put in the Maildir by hand, with neither an envelope nor To or Cc: nobody to send to.
  if (original.length === 0) throw new HttpError(409, 'the message has no recipients to release it to');
  const to = (body as { to?: unknown } | null)?.to;
  if (to === undefined) return [...original];
  const list = typeof to === 'string' ? [to] : to;
  if (!Array.isArray(list) || list.length === 0 || list.length > original.length)
    throw new HttpError(400, 'to is an address or a list of addresses, each a recipient of the message');
  const byAddress = new Map(original.map((r) => [r.toLowerCase(), r]));
  return [
    ...new Set(
      list.map((address: unknown) => {
        const known = typeof address === 'string' ? byAddress.get(address.toLowerCase()) : undefined;
        if (known === undefined)
          throw new HttpError(
            400,
            `${JSON.stringify(address)} is not a recipient of the message: release goes only to its own recipients`,
          );
        return known;
      }),
    ),
  ];
}

/** Sends `raw` (without the Return-Path of its delivery here) from `from` to `to`. */
export async function release(
  target: ReleaseTarget,
  from: string,
  to: string[],
  raw: Uint8Array,
): Promise<{ accepted: string[]; rejected: { address: string; reply: string }[] }> {
  const message = withoutReturnPath(raw);
  let client: SmtpClient | undefined;
  try {
    client = await SmtpClient.connect(target.url, {
      ...(target.auth === undefined ? {} : { auth: target.auth }),
      timeouts: { connect: 10_000, greeting: 30_000, command: 30_000, data: 60_000 },
    });
    const result = await client.send({ from, to }, message);
    return {
      accepted: [...result.accepted],
      rejected: result.rejected.map((r) => ({ address: r.address, reply: replyText(r.reply) })),
    };
  } catch (error) {
    throw new HttpError(502, `release failed: ${(error as Error).message}`);
  } finally {
    await client?.quit().catch(() => {});
  }
}

/** Return-Path is added at final delivery (RFC 5321 4.4); a message sent on must not carry it. */
function withoutReturnPath(raw: Uint8Array): Uint8Array {
  const start = new TextDecoder('latin1').decode(raw.subarray(0, 1024));
  const m = /^Return-Path:[^\r\n]*\r?\n/i.exec(start);
  return m === null ? raw : raw.subarray(m[0].length);
}
