import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MtaSts } from '../../src/client/deliver/mta-sts.js';
import type { DnsResolver, MtaStsFetch } from '../../src/client/deliver/types.js';

describe('MTA-STS discovery under one deadline', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('the TXT lookup and the fetch share the timeout: the fetch has what the lookup left', async () => {
    const nothing = () => Promise.reject(Object.assign(new Error('no data'), { code: 'ENODATA' }));
    // A TXT answer that takes 250 ms of the 400 ms timeout.
    const slowTxt: DnsResolver = {
      resolveMx: nothing,
      resolve4: nothing,
      resolve6: nothing,
      resolveTxt: () => new Promise((resolve) => setTimeout(() => resolve([['v=STSv1; id=d1']]), 250)),
    };
    const silent: MtaStsFetch = (_url, init) =>
      new Promise((_resolve, reject) =>
        init.signal.addEventListener('abort', () => reject(init.signal.reason)),
      );
    const mtaSts = new MtaSts({ fetch: silent, timeout: 400, cache: new Map() });
    let settled = false;
    const policy = mtaSts
      .policyOf({ resolver: slowTxt, timeout: 2000, signal: undefined }, 'deadline.test')
      .finally(() => {
        settled = true;
      });
    await vi.advanceTimersByTimeAsync(250);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(150);
    expect(settled).toBe(true);
    expect(await policy).toBeUndefined();
  });
});
