/**
 * `deliver()`: a message sent straight to each recipient domain's MX hosts, without a relay, with
 * an outcome for every recipient (delivered, deferred, failed) for the caller's queue.
 * @module
 */
import { EsmtpError } from '../../protocol/errors.js';
import type { ClientEnvelope } from '../../session/client-envelope.js';
import { joined, type MessageInput, messageSource } from '../message-source.js';
import { local } from './attempt.js';
import { makeResolver } from './dns.js';
import { type DomainContext, type DomainDelivery, deliverToDestination } from './domain.js';
import { MtaSts } from './mta-sts.js';
import { groupRecipients, type RecipientGroup } from './recipients.js';
import type { DeliverMessage, DeliverOptions, DeliveryResult, RecipientOutcome } from './types.js';

const DEFAULT_PORT = 25;
const DEFAULT_CONCURRENCY = 4;
const DEFAULT_MAX_BUFFERED = 25 * 1024 * 1024;
const DEFAULT_DNS_TIMEOUT = 10_000;

/**
 * Delivers `message` to the MX hosts of each recipient's domain (RFC 5321 5.1): recipients are
 * grouped by domain (case does not count) and each domain gets one transaction, a few domains at
 * a time. Hosts are tried in preference order, equal preferences shuffled, each of their
 * addresses in turn, until one answers for the message; a domain without MX records is its own
 * host; an address literal is delivered to as it is. With `mtaSts`, a domain's MTA-STS policy
 * (RFC 8461) decides which hosts may be used and that TLS is verified.
 *
 * Resolves with an outcome for every recipient, never rejects for a recipient's sake: it rejects
 * only for a message given as a stream larger than `maxBuffered` (EMESSAGE, before anything is
 * sent) or one whose stream fails while it is read into memory.
 */
export async function deliver(
  envelope: ClientEnvelope,
  message: DeliverMessage,
  options: DeliverOptions = {},
): Promise<DeliveryResult> {
  const copy = await reusable(message, options.maxBuffered ?? DEFAULT_MAX_BUFFERED);
  const { groups, invalid } = groupRecipients(envelope.to);
  const dnsTimeout = options.timeouts?.dns ?? DEFAULT_DNS_TIMEOUT;
  const ctx: DomainContext = {
    port: options.port ?? DEFAULT_PORT,
    name: options.name,
    ca: options.ca,
    timeouts: options.timeouts,
    signal: options.signal,
    logger: options.logger,
    envelope,
    message: copy,
    tls: options.tls ?? 'opportunistic',
    dns: {
      resolver: makeResolver(options.resolver, options.dnsServers, dnsTimeout),
      timeout: dnsTimeout,
      signal: options.signal,
    },
    mtaSts: options.mtaSts ? new MtaSts(options.mtaSts === true ? {} : options.mtaSts) : undefined,
  };
  const deliveries = await inParallel(groups, options.concurrency ?? DEFAULT_CONCURRENCY, (group) =>
    deliverToDestination(group, ctx).catch((error: unknown) => aborted(group, error)),
  );
  const outcomes = new Map<string, RecipientOutcome[]>();
  const add = (outcome: RecipientOutcome) => {
    const list = outcomes.get(outcome.recipient);
    if (list === undefined) outcomes.set(outcome.recipient, [outcome]);
    else list.push(outcome);
  };
  for (const bad of invalid) add({ status: 'failed', ...bad });
  for (const delivery of deliveries) for (const outcome of delivery.outcomes) add(outcome);
  return {
    recipients: envelope.to.map((recipient) => outcomes.get(recipient)?.shift() as RecipientOutcome),
    domains: deliveries.map((d) => d.report),
  };
}

/**
 * The message as something that can be sent again: bytes and strings as they are, a function as
 * it is, a stream read into memory up to `max` octets.
 */
async function reusable(message: DeliverMessage, max: number): Promise<() => MessageInput> {
  if (typeof message === 'function') return message;
  if (typeof message === 'string' || message instanceof Uint8Array) return () => message;
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of messageSource(message).chunks) {
    size += chunk.length;
    if (size > max) {
      throw new EsmtpError(
        'EMESSAGE',
        `the message stream is larger than maxBuffered (${max} octets); pass a function that opens it again`,
      );
    }
    parts.push(chunk);
  }
  const bytes = joined(parts.length === 0 ? [new Uint8Array(0)] : parts);
  return () => bytes;
}

/** A destination whose delivery was aborted: its recipients are deferred. */
function aborted(group: RecipientGroup, error: unknown): DomainDelivery {
  if (!(error instanceof EsmtpError && error.code === 'EABORT')) throw error;
  const why = `${group.destination.name}: delivery aborted`;
  return {
    outcomes: group.recipients.map((r) => local(r, 'deferred', 451, '4.3.0', why)),
    report: { domain: group.destination.name },
  };
}

/** `work` for each item, at most `limit` at a time; the results in the items' order. */
async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
