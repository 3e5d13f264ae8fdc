/**
 * MTA-STS policy discovery (RFC 8461 3): the `_mta-sts` TXT record, the policy fetched over HTTPS
 * when its id is new, and the cache that keeps it for its `max_age`.
 * @module
 */
import { EsmtpError } from '../../protocol/errors.js';
import { findMtaStsRecord, type MtaStsPolicy, parseMtaStsPolicy } from '../../protocol/mta-sts.js';
import { abortError } from '../client-connection.js';
import { type Dns, dnsCode, lookup } from './dns.js';
import { defaultMtaStsCache } from './mta-sts-cache.js';
import type { MtaStsCache, MtaStsFetch, MtaStsOptions } from './types.js';

/** The policy that applies to a domain now, with its id. */
export interface ActivePolicy {
  readonly id: string;
  readonly policy: MtaStsPolicy;
}

const DEFAULT_TIMEOUT = 10_000;
const DEFAULT_MAX_SIZE = 64 * 1024;

/** MTA-STS as one `deliver()` call applies it. */
export class MtaSts {
  private readonly cache: MtaStsCache;
  private readonly fetch: MtaStsFetch;
  private readonly timeout: number;
  private readonly maxSize: number;

  constructor(options: MtaStsOptions) {
    this.cache = options.cache ?? defaultMtaStsCache;
    this.fetch = options.fetch ?? (globalThis.fetch as MtaStsFetch);
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.maxSize = options.maxPolicySize ?? DEFAULT_MAX_SIZE;
  }

  /**
   * The policy of `domain` (its A-label form), or undefined when it has none. A policy still in
   * the cache stands when the TXT record is gone or the fetch fails (RFC 8461 3.3 and 5.1): it
   * protects against an attacker who removes the record. The TXT lookup and the fetch share one
   * deadline, `timeout` from now.
   */
  async policyOf(dns: Dns, domain: string): Promise<ActivePolicy | undefined> {
    const now = Date.now();
    const deadline = now + this.timeout;
    const cached = this.cache.get(domain);
    const valid = cached !== undefined && cached.expires > now ? cached : undefined;
    if (cached !== undefined && valid === undefined) this.cache.delete?.(domain);
    const id = await this.recordId({ ...dns, timeout: Math.min(dns.timeout, this.timeout) }, domain);
    if (id === undefined || id === valid?.id) return valid;
    const policy = await this.fetchPolicy(domain, deadline, dns.signal).catch((error: unknown) => {
      if (dnsCode(error) === 'EABORT') throw error;
      return undefined;
    });
    if (policy === undefined) return valid;
    this.cache.set(domain, { id, policy, expires: now + policy.maxAge * 1000 });
    return { id, policy };
  }

  /** The id of the `_mta-sts` record, or undefined when there is no valid one. */
  private async recordId(dns: Dns, domain: string): Promise<string | undefined> {
    try {
      const records = await lookup(dns, (r) => r.resolveTxt(`_mta-sts.${domain}`), `TXT _mta-sts.${domain}`);
      const record = findMtaStsRecord(records);
      return record.type === 'valid' ? record.value.id : undefined;
    } catch (error) {
      if (dnsCode(error) === 'EABORT') throw error;
      return undefined;
    }
  }

  /**
   * The policy at `https://mta-sts.<domain>/.well-known/mta-sts.txt`, by `deadline` or never: the
   * fetch and the body are raced against it (a `fetch` may not heed its signal), and the request
   * is aborted when done, which lets go of a body not read.
   */
  private async fetchPolicy(
    domain: string,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<MtaStsPolicy> {
    const url = `https://mta-sts.${domain}/.well-known/mta-sts.txt`;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort = () => {};
    const stopped = new Promise<never>((_, reject) => {
      const stop = (error: unknown) => {
        controller.abort(error);
        reject(error);
      };
      timer = setTimeout(
        () => stop(new EsmtpError('ETIMEOUT', `no policy from ${url} within ${this.timeout} ms`)),
        Math.max(0, deadline - Date.now()),
      );
      onAbort = () => stop(abortError(signal as AbortSignal));
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
    const fetched = this.get(url, controller.signal);
    fetched.catch(() => {}); // when the deadline won the race, its end is of no interest
    try {
      return await Promise.race([fetched, stopped]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }

  /** GET `url`: a 200 (redirects are not followed), `text/plain`, at most `maxPolicySize` octets, and a valid policy. */
  private async get(url: string, signal: AbortSignal): Promise<MtaStsPolicy> {
    const response = await this.fetch(url, { redirect: 'manual', signal });
    const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (response.status !== 200 || type !== 'text/plain') {
      await response.body?.cancel().catch(() => {}); // frees the connection
      const what =
        response.status !== 200
          ? `answered ${response.status}`
          : `is ${type ?? 'of no type'}, not text/plain`;
      throw new Error(`${url} ${what}`);
    }
    const text = await this.readBody(response.body, url);
    const parsed = parseMtaStsPolicy(text);
    if (parsed.type === 'invalid') throw new Error(`${url}: ${parsed.reason}`);
    return parsed.value;
  }

  private async readBody(body: ReadableStream<Uint8Array> | null, url: string): Promise<string> {
    if (body === null) return '';
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let size = 0;
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      size += value.length;
      if (size > this.maxSize) {
        await reader.cancel().catch(() => {});
        throw new Error(`${url} is larger than ${this.maxSize} octets`);
      }
      text += decoder.decode(value, { stream: true });
    }
  }
}
