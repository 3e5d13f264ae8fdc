/**
 * The DNS side of delivery: a domain's MX hosts in the order to try them (RFC 5321 5.1, RFC 7505),
 * and a host's addresses. Every lookup has a deadline.
 * @module
 */
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { EsmtpError } from '../../protocol/errors.js';
import { abortError } from '../client-connection.js';
import type { DnsResolver } from './types.js';

/** An MX host, as its record names it. */
export interface MxHost {
  readonly name: string;
  readonly preference: number;
}

/** A domain's MX lookup, read for delivery. */
export type MxAnswer =
  /** The hosts to try, in order: preference, equal preferences shuffled; the domain itself when it has no MX. */
  | { readonly type: 'hosts'; readonly hosts: readonly MxHost[]; readonly implicit: boolean }
  /** The domain says it takes no mail (RFC 7505). */
  | { readonly type: 'null-mx' }
  /** The domain does not exist. */
  | { readonly type: 'no-domain' }
  /** The lookup failed for now (a DNS server failing or silent). */
  | { readonly type: 'temporary'; readonly reason: string };

/** The lookups and their deadline. */
export interface Dns {
  readonly resolver: DnsResolver;
  /** Milliseconds for each lookup. */
  readonly timeout: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * The resolver `options` ask for: theirs, or one of ours for the servers they name or the
 * system's. Ours tries each query once within `timeout`: with the defaults (several tries, each
 * longer than the last) a query to a silent server runs on for half a minute after its lookup
 * has given up, and keeps the process alive.
 */
export function makeResolver(
  resolver: DnsResolver | undefined,
  servers: readonly string[] | undefined,
  timeout: number,
): DnsResolver {
  if (resolver !== undefined) return resolver;
  const made = new Resolver({ timeout, tries: 1 });
  if (servers !== undefined) made.setServers([...servers]);
  return made;
}

/** One lookup within the deadline; the error's Node code, or ETIMEOUT/EABORT. */
export function lookup<T>(dns: Dns, run: (resolver: DnsResolver) => Promise<T>, what: string): Promise<T> {
  const { signal, timeout } = dns;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const timer = setTimeout(() => {
      done();
      reject(new EsmtpError('ETIMEOUT', `no DNS answer for ${what} within ${timeout} ms`));
    }, timeout);
    const onAbort = () => {
      done();
      reject(abortError(signal as AbortSignal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    run(dns.resolver).then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}

/** The Node DNS error code of `error`, if it has one. */
export function dnsCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The MX hosts of `domain` (its A-label form), read as RFC 5321 5.1 and RFC 7505 say. */
export async function mxHosts(dns: Dns, domain: string): Promise<MxAnswer> {
  let records: { exchange: string; priority: number }[];
  try {
    records = await lookup(dns, (r) => r.resolveMx(domain), `MX ${domain}`);
  } catch (error) {
    const code = dnsCode(error);
    if (code === 'EABORT') throw error;
    if (code === 'ENODATA') return implicitMx(domain);
    if (code === 'ENOTFOUND') return { type: 'no-domain' };
    return { type: 'temporary', reason: `MX lookup for ${domain} failed: ${(error as Error).message}` };
  }
  // An empty answer (which a resolver of the caller's may give) is no MX, as ENODATA is.
  if (records.length === 0) return implicitMx(domain);
  // RFC 7505 3: a single MX of "." (which Node gives as an empty name) with preference 0.
  if (records.length === 1 && records[0]?.priority === 0 && ['', '.'].includes(records[0].exchange))
    return { type: 'null-mx' };
  const hosts = records
    .filter((r) => r.exchange !== '' && r.exchange !== '.')
    .map((r) => ({ name: r.exchange.toLowerCase().replace(/\.$/, ''), preference: r.priority }));
  if (hosts.length === 0) return { type: 'null-mx' };
  return { type: 'hosts', hosts: inPreferenceOrder(hosts), implicit: false };
}

/** No MX but the name exists: the domain itself is the host (RFC 5321 5.1, the implicit MX). */
function implicitMx(domain: string): MxAnswer {
  return { type: 'hosts', hosts: [{ name: domain, preference: 0 }], implicit: true };
}

/** Lowest preference first; hosts of equal preference in random order (RFC 5321 5.1), to spread the load. */
export function inPreferenceOrder(hosts: readonly MxHost[]): MxHost[] {
  const shuffled = hosts.map((host) => ({ host, key: Math.random() }));
  shuffled.sort((a, b) => a.host.preference - b.host.preference || a.key - b.key);
  return shuffled.map((s) => s.host);
}

/** A host's addresses; when there are none, why, and whether a later lookup may find some. */
export interface HostAddresses {
  readonly addresses: string[];
  readonly reason: string;
  readonly temporary: boolean;
}

/**
 * The addresses of an MX host: IPv4 first, then IPv6. A host with none, or whose lookups failed,
 * gives an empty list and why.
 */
export async function hostAddresses(dns: Dns, host: string): Promise<HostAddresses> {
  if (isIP(host) !== 0) return { addresses: [host], reason: '', temporary: false };
  const [v4, v6] = await Promise.allSettled([
    lookup(dns, (r) => r.resolve4(host), `A ${host}`),
    lookup(dns, (r) => r.resolve6(host), `AAAA ${host}`),
  ]);
  const addresses = [v4, v6].flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  const errors = [v4, v6].flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  const aborted = errors.find((e) => dnsCode(e) === 'EABORT');
  if (aborted !== undefined) throw aborted;
  const failures = errors.filter((e) => !['ENODATA', 'ENOTFOUND'].includes(dnsCode(e) ?? ''));
  const reason =
    failures.length > 0
      ? `${host}: address lookup failed: ${failures[0]?.message}`
      : `${host}: no A or AAAA record`;
  return { addresses, reason, temporary: failures.length > 0 };
}
