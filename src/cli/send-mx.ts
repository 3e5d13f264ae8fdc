/**
 * `esmtp send --mx`: the message delivered straight to each recipient domain's MX hosts with
 * `deliver()`, and each recipient's outcome printed.
 * @module
 */
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { deliver } from '../client/deliver/deliver.js';
import type { DeliverOptions, RecipientOutcome } from '../client/deliver/types.js';
import { replyText } from '../protocol/reply.js';
import { UsageError } from './args.js';

/** What `esmtp send --mx` was asked, read from the command line by `send`. */
export interface MxSend {
  readonly from: string;
  readonly to: readonly string[];
  readonly message: { stream: Readable; size: number | undefined };
  readonly options: DeliverOptions;
}

/** Exit status when no recipient failed but some were deferred: sendmail's EX_TEMPFAIL. */
export const EX_TEMPFAIL = 75;

/** `--dns-server HOST[:PORT]` as `Resolver#setServers` takes it; a usage error otherwise. */
export function dnsServer(text: string): string {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  if (m === null || host === undefined || isIP(host) === 0 || Number(m[3] ?? 53) > 65535)
    throw new UsageError('--dns-server needs an IP address, with :PORT if not 53');
  return text;
}

/** Delivers, prints one JSON object with every recipient's outcome, and returns the exit status. */
export async function sendToMx(request: MxSend): Promise<number> {
  const { from, to, message, options } = request;
  const size = message.size === undefined ? {} : { size: message.size };
  let recipients: readonly RecipientOutcome[];
  try {
    ({ recipients } = await deliver({ from, to, ...size }, message.stream, options));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    process.stdout.write(
      `${JSON.stringify({ recipients: [], error: typeof code === 'string' ? code : 'ESMTP' })}\n`,
    );
    process.stderr.write(`esmtp: ${(error as Error).message}\n`);
    return 1;
  }
  const output = recipients.map((r) => ({
    recipient: r.recipient,
    status: r.status,
    reply: replyText(r.reply),
    ...(r.host === undefined ? {} : { host: r.host, address: r.address }),
    ...(r.status === 'delivered' ? {} : { reason: r.reason }),
  }));
  process.stdout.write(`${JSON.stringify({ recipients: output })}\n`);
  for (const r of recipients)
    if (r.status !== 'delivered') process.stderr.write(`esmtp: ${r.recipient} ${r.status}: ${r.reason}\n`);
  if (recipients.some((r) => r.status === 'failed')) return 1;
  return recipients.some((r) => r.status === 'deferred') ? EX_TEMPFAIL : 0;
}
