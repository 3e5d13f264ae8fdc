/**
 * What {@link deliver} takes and what it returns: the options, the MTA-STS options and cache, and
 * the outcome for each recipient.
 * @module
 */
import type { MtaStsPolicy } from '../../protocol/mta-sts.js';
import type { Reply } from '../../protocol/reply.js';
import type { Logger } from '../../tracing/logger.js';
import type { MessageInput } from '../message-source.js';
import type { ClientTimeouts } from '../smtp-client.js';

/**
 * The message as `deliver()` takes it. Delivering to several domains, or trying a second host
 * after a first one dropped the connection, sends the message more than once: a string or bytes
 * are sent again as they are; a function is called for a fresh copy (a new file stream) each time
 * one is sent; a stream given as it is is read into memory first, up to
 * {@link DeliverOptions.maxBuffered} octets.
 */
export type DeliverMessage = MessageInput | (() => MessageInput);

/**
 * The DNS lookups delivery makes: `node:dns/promises`' `Resolver` has them all. Errors are taken
 * by their Node `code`: `ENODATA` (no such record), `ENOTFOUND` (no such name), anything else
 * (a failing or silent server) is temporary.
 */
export interface DnsResolver {
  /** MX records: `exchange` and `priority`. */
  resolveMx(name: string): Promise<
    {
      /** The host's name; empty (or `.`) in a null MX. */
      exchange: string;
      /** Its preference: lower is tried first. */
      priority: number;
    }[]
  >;
  /** IPv4 addresses. */
  resolve4(name: string): Promise<string[]>;
  /** IPv6 addresses. */
  resolve6(name: string): Promise<string[]>;
  /** TXT records, each as its strings (for MTA-STS). */
  resolveTxt(name: string): Promise<string[][]>;
}

/** A `fetch` of the WHATWG shape, as far as MTA-STS uses it: `globalThis.fetch` is one. */
export type MtaStsFetch = (
  url: string,
  init: { redirect: 'manual'; signal: AbortSignal },
) => Promise<{
  /** The HTTP status: only 200 is a policy (redirects are not followed). */
  status: number;
  /** The response headers: `content-type` must be `text/plain`. */
  headers: {
    /** A header's value, or null. */
    get(name: string): string | null;
  };
  /** The policy text. */
  body: ReadableStream<Uint8Array> | null;
}>;

/** One domain's MTA-STS policy as cached: kept until `expires` (milliseconds since the epoch). */
export interface MtaStsCacheEntry {
  /** The `id` of the `_mta-sts` TXT record the policy was fetched for. */
  readonly id: string;
  /** The policy. */
  readonly policy: MtaStsPolicy;
  /** When the policy's `max_age` runs out, in milliseconds since the epoch. */
  readonly expires: number;
}

/** Where MTA-STS policies are kept between deliveries: a `Map` of domain (lower case) to entry will do. */
export interface MtaStsCache {
  /** The entry for a domain, if any. */
  get(domain: string): MtaStsCacheEntry | undefined;
  /** Keeps an entry for a domain. */
  set(domain: string, entry: MtaStsCacheEntry): unknown;
  /** Forgets a domain: called for an entry read after it expired (a `Map` has it). */
  delete?(domain: string): unknown;
}

/** How MTA-STS policies are fetched and kept. */
export interface MtaStsOptions {
  /**
   * Where policies are kept. Default: one cache for the whole process, shared by every
   * `deliver()` call that brings none, of at most 10,000 domains (the oldest dropped first); a
   * policy is fetched again only when it expires or the TXT record's id changes. Pass your own to
   * keep policies elsewhere (a `Map` will do: expired entries are deleted when read).
   */
  cache?: MtaStsCache;
  /** How the policy is fetched over HTTPS. Default `globalThis.fetch`. */
  fetch?: MtaStsFetch;
  /** The deadline for the TXT lookup and the policy fetch together, in milliseconds. Default 10 s. */
  timeout?: number;
  /** The largest policy file taken, in octets. Default 64 KiB. */
  maxPolicySize?: number;
}

/** How {@link deliver} looks up, connects and sends. */
export interface DeliverOptions {
  /** The port of the MX hosts. Default 25. */
  port?: number;
  /** The name given in EHLO. Default: as {@link SmtpClientOptions.name}. */
  name?: string;
  /**
   * `'opportunistic'` (default): STARTTLS when offered, the certificate not checked (RFC 7435),
   * and a host whose TLS handshake fails is tried again at once in cleartext, as Postfix does.
   * `'required'`: STARTTLS with a certificate valid for the MX host's name, or the host is not
   * used. `'none'`: never TLS. An MTA-STS policy in `enforce` mode makes its domain `'required'`.
   */
  tls?: 'opportunistic' | 'required' | 'none';
  /** Certificate authorities to trust instead of the system's, for verified TLS. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Resolve with this resolver (a `node:dns/promises` `Resolver` or the same shape). */
  resolver?: DnsResolver;
  /** Resolve with these servers (`'192.0.2.53'`, `'127.0.0.1:5353'`), when no `resolver` is given. Default: the system's. */
  dnsServers?: readonly string[];
  /** Apply MTA-STS (RFC 8461): `true`, or its options. Default off. */
  mtaSts?: boolean | MtaStsOptions;
  /** Domains delivered to at the same time. Default 4. */
  concurrency?: number;
  /** The most octets a message given as a stream is read into memory (EMESSAGE beyond). Default 25 MiB. */
  maxBuffered?: number;
  /** Deadlines of each SMTP connection, as for `SmtpClient`, and `dns` for each DNS lookup (default 10 s). */
  timeouts?: ClientTimeouts & {
    /** Each DNS lookup, in milliseconds. Default 10 s. */
    dns?: number;
  };
  /** Stops the delivery: recipients not yet delivered are deferred. */
  signal?: AbortSignal;
  /** Where each connection logs (pino's shape). Default: silent. */
  logger?: Logger;
}

/** A recipient the message was delivered to. */
export interface DeliveredRecipient {
  /** `delivered`. */
  readonly status: 'delivered';
  /** The recipient as written in the envelope's `to`. */
  readonly recipient: string;
  /** The MX host that took the message (the domain itself for an implicit MX, or the address literal). */
  readonly host: string;
  /** The IP address connected to. */
  readonly address: string;
  /** The server's reply to the message. */
  readonly reply: Reply;
  /** The connection was protected by TLS. */
  readonly secure: boolean;
}

/** A recipient not delivered this time: try again later. */
export interface DeferredRecipient {
  /** `deferred`. */
  readonly status: 'deferred';
  /** The recipient as written in the envelope's `to`. */
  readonly recipient: string;
  /**
   * The 4xx reply: the server's (then `host` and `address` say which one gave it), or one made
   * here that says why (`451 4.4.1` no host answered, `451 4.7.5` TLS could not be had, ...).
   */
  readonly reply: Reply;
  /** Why, in a line for a log or a delivery status notification. */
  readonly reason: string;
  /** The MX host whose reply this is, when a server replied. */
  readonly host?: string;
  /** The IP address of that host. */
  readonly address?: string;
}

/** A recipient the message cannot be delivered to: bounce it. */
export interface FailedRecipient {
  /** `failed`. */
  readonly status: 'failed';
  /** The recipient as written in the envelope's `to`. */
  readonly recipient: string;
  /**
   * The 5xx reply: the server's (then `host` and `address` say which one gave it), or one made
   * here (`550 5.1.2` no such domain, `556 5.1.10` null MX, `501 5.1.3` a bad address, ...).
   */
  readonly reply: Reply;
  /** Why, in a line for a log or a delivery status notification. */
  readonly reason: string;
  /** The MX host whose reply this is, when a server replied. */
  readonly host?: string;
  /** The IP address of that host. */
  readonly address?: string;
}

/** What became of one recipient: `delivered`, `deferred` (retry later) or `failed` (bounce). */
export type RecipientOutcome = DeliveredRecipient | DeferredRecipient | FailedRecipient;

/** What MTA-STS said for one domain. */
export interface MtaStsReport {
  /** The policy's id (from the TXT record). */
  readonly id: string;
  /** The policy's mode. */
  readonly mode: MtaStsPolicy['mode'];
  /**
   * What did not satisfy the policy: MX hosts outside its `mx` patterns, hosts without STARTTLS or
   * a valid certificate. In `enforce` mode these hosts were not used; in `testing` mode they were,
   * and this is the report.
   */
  readonly failures: readonly string[];
}

/** One recipient domain of a delivery. */
export interface DomainReport {
  /** The domain, lower case, or the address literal. */
  readonly domain: string;
  /** The MTA-STS policy found for it, when MTA-STS is on and the domain has one. */
  readonly mtaSts?: MtaStsReport;
}

/** What {@link deliver} resolves to. */
export interface DeliveryResult {
  /** One outcome per recipient, in the order of the envelope's `to`. */
  readonly recipients: readonly RecipientOutcome[];
  /** One report per recipient domain. */
  readonly domains: readonly DomainReport[];
}
