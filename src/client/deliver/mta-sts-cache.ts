/**
 * The MTA-STS policy cache that `deliver()` uses when the caller gives none: one for the whole
 * process, so that a policy outlives the call that fetched it (RFC 8461 3.3 and 10.2: a cached
 * policy is what defeats an attacker who removes the TXT record), and bounded, so that a queue
 * sending to many domains does not grow it for ever.
 * @module
 */
import type { MtaStsCache, MtaStsCacheEntry } from './types.js';

/** How many domains the default cache keeps: past this, the oldest entry is dropped. */
export const DEFAULT_CACHE_DOMAINS = 10_000;

/** A cache of at most `limit` domains, the oldest stored dropped first, expired entries dropped when read. */
export class BoundedMtaStsCache implements MtaStsCache {
  private readonly entries = new Map<string, MtaStsCacheEntry>();

  constructor(private readonly limit: number = DEFAULT_CACHE_DOMAINS) {}

  /** How many domains are kept. */
  get size(): number {
    return this.entries.size;
  }

  get(domain: string): MtaStsCacheEntry | undefined {
    const entry = this.entries.get(domain);
    if (entry === undefined || entry.expires > Date.now()) return entry;
    this.entries.delete(domain);
    return undefined;
  }

  set(domain: string, entry: MtaStsCacheEntry): void {
    this.entries.delete(domain); // a renewed entry counts as the newest
    this.entries.set(domain, entry);
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
  }

  delete(domain: string): void {
    this.entries.delete(domain);
  }
}

/** The process's cache, for every `deliver()` call that brings none. */
export const defaultMtaStsCache: MtaStsCache = new BoundedMtaStsCache();
