import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { deliver } from '../../src/client/deliver/deliver.js';
import { MtaSts } from '../../src/client/deliver/mta-sts.js';
import { BoundedMtaStsCache } from '../../src/client/deliver/mta-sts-cache.js';
import type {
  DeliverOptions,
  DnsResolver,
  MtaStsCacheEntry,
  MtaStsFetch,
} from '../../src/client/deliver/types.js';
import { certificateFor, testCertificates } from '../helpers/certs.js';
import { dnsmasqProgram, type RunningDns, startDnsmasq } from '../helpers/dnsmasq.js';
import { describeWithPeer } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { collectingServer, type Delivered } from '../helpers/server.js';

// Each MX host on an address of its own in 127.0.0.0/8, all on one port.
const OUTSIDE = '127.0.0.12'; // takes mail over TLS, but is not among the policy's mx patterns
const BAD_CERT = '127.0.0.13'; // in the policy, with a certificate for another name
const VALID = '127.0.0.14'; // in the policy, with a valid certificate
const PLAIN = '127.0.0.15'; // in the policy, without STARTTLS
const MESSAGE = 'Subject: sts\r\n\r\nbody\r\n';

const POLICIES: Record<string, string> = {
  'mta-sts.enforce.test':
    'version: STSv1\nmode: enforce\nmx: mx-badcert.enforce.test\nmx: *.sts.test\nmax_age: 86400\n',
  'mta-sts.testing.test': 'version: STSv1\nmode: testing\nmx: mx-valid.sts.test\nmax_age: 86400\n',
  'mta-sts.plain.test': 'version: STSv1\nmode: enforce\nmx: mx-plain.sts.test\nmax_age: 86400\n',
  'mta-sts.kept.test': 'version: STSv1\nmode: enforce\nmx: mx-valid.sts.test\nmax_age: 86400\n',
};

describeWithPeer('dnsmasq', dnsmasqProgram, (program) => {
  let dns: RunningDns;
  let port: number;
  let https: Server;
  let httpsPort: number;
  const fetched: string[] = [];
  const servers: { close(): Promise<void> }[] = [];
  const delivered: Record<string, Delivered[]> = {};
  const { ca } = testCertificates();

  beforeAll(async () => {
    port = await freePort();
    dns = await startDnsmasq(program, {
      zone: 'test',
      mx: [
        { domain: 'enforce.test', host: 'mx-outside.other.test', preference: 10 },
        { domain: 'enforce.test', host: 'mx-badcert.enforce.test', preference: 20 },
        { domain: 'enforce.test', host: 'mx-valid.sts.test', preference: 30 },
        { domain: 'testing.test', host: 'mx-outside.other.test', preference: 10 },
        { domain: 'testing.test', host: 'mx-valid.sts.test', preference: 20 },
        { domain: 'plain.test', host: 'mx-plain.sts.test', preference: 10 },
        { domain: 'kept.test', host: 'mx-outside.other.test', preference: 10 },
        { domain: 'kept.test', host: 'mx-valid.sts.test', preference: 20 },
      ],
      hosts: [
        { name: 'mx-outside.other.test', address: OUTSIDE },
        { name: 'mx-badcert.enforce.test', address: BAD_CERT },
        { name: 'mx-valid.sts.test', address: VALID },
        { name: 'mx-plain.sts.test', address: PLAIN },
      ],
      txt: [
        { name: '_mta-sts.enforce.test', text: 'v=STSv1; id=e1' },
        { name: '_mta-sts.testing.test', text: 'v=STSv1; id=t1' },
        { name: '_mta-sts.plain.test', text: 'v=STSv1; id=p1' },
        { name: '_mta-sts.kept.test', text: 'v=STSv1; id=k1' },
        { name: '_mta-sts.html.test', text: 'v=STSv1; id=h1' },
        { name: '_mta-sts.large.test', text: 'v=STSv1; id=l1' },
        { name: '_mta-sts.slow.test', text: 'v=STSv1; id=s1' },
      ],
    });
    const mxServers: [string, string, object][] = [
      ['outside', OUTSIDE, { tls: certificateFor('mx-outside.other.test') }],
      ['badcert', BAD_CERT, { tls: certificateFor('wrong.example') }],
      ['valid', VALID, { tls: certificateFor('mx-valid.sts.test') }],
      ['plain', PLAIN, {}],
    ];
    for (const [name, host, options] of mxServers) {
      const { server, delivered: list } = collectingServer(options);
      delivered[name] = list;
      await server.listen({ host, port });
      servers.push(server);
    }
    // The policy server: one HTTPS server for every mta-sts.<domain>, told apart by SNI and Host.
    https = createServer(
      {
        ...certificateFor(
          ...Object.keys(POLICIES),
          'mta-sts.html.test',
          'mta-sts.large.test',
          'mta-sts.slow.test',
        ),
      },
      (req, res) => {
        const host = req.headers.host ?? '';
        fetched.push(`${host}${req.url}`);
        if (host === 'mta-sts.slow.test') return; // never answers
        if (host === 'mta-sts.html.test') {
          res.writeHead(200, { 'content-type': 'text/html' }).end(POLICIES['mta-sts.enforce.test']);
          return;
        }
        if (host === 'mta-sts.large.test') {
          const padding = `x_pad: ${'x'.repeat(100)}\n`.repeat(1000);
          res
            .writeHead(200, { 'content-type': 'text/plain' })
            .end(POLICIES['mta-sts.enforce.test'] + padding);
          return;
        }
        const policy = POLICIES[host];
        if (req.url !== '/.well-known/mta-sts.txt' || policy === undefined) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(policy);
      },
    );
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    httpsPort = (https.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    https?.closeAllConnections();
    await new Promise((resolve) => https?.close(resolve));
    await dns?.stop();
  });

  /**
   * A fetch that sends every request to the policy server's loopback port, under the name of the
   * URL (SNI and Host), trusting the test CA. In production the default `globalThis.fetch` is used.
   */
  const loopbackFetch: MtaStsFetch = (url, init) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const req = request(
        {
          host: '127.0.0.1',
          port: httpsPort,
          path: u.pathname,
          servername: u.hostname,
          headers: { host: u.hostname },
          ca,
          signal: init.signal,
        },
        async (res) => {
          const parts: Buffer[] = [];
          for await (const part of res) parts.push(part as Buffer);
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
          resolve(new Response(Buffer.concat(parts), { status: res.statusCode ?? 500, headers }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  const options = (mtaSts: DeliverOptions['mtaSts']): DeliverOptions => ({
    resolver: dns.resolver,
    port,
    name: 'sender.test',
    ca,
    mtaSts,
    timeouts: { connect: 2000, greeting: 2000, command: 2000, data: 2000, dns: 2000 },
  });

  it('enforce: a host outside the policy and one with an invalid certificate are skipped; the valid one gets the mail', async () => {
    const result = await deliver(
      { from: 'a@sender.test', to: ['b@enforce.test'] },
      MESSAGE,
      options({ fetch: loopbackFetch }),
    );
    expect(result.recipients).toMatchObject([
      { status: 'delivered', host: 'mx-valid.sts.test', address: VALID, secure: true },
    ]);
    expect(delivered.outside).toHaveLength(0);
    expect(delivered.badcert).toHaveLength(0);
    expect(delivered.valid).toHaveLength(1);
    const report = result.domains[0]?.mtaSts;
    expect(report).toMatchObject({ id: 'e1', mode: 'enforce' });
    expect(report?.failures).toHaveLength(2);
    expect(report?.failures[0]).toBe("mx-outside.other.test: not among the policy's mx patterns");
    expect(report?.failures[1]).toMatch(
      /^mx-badcert\.enforce\.test\[127\.0\.0\.13\]: .*(certificate|altnames)/i,
    );
    expect(fetched).toContain('mta-sts.enforce.test/.well-known/mta-sts.txt');
  });

  it('enforce: with no host that satisfies the policy, the domain is deferred', async () => {
    const before = delivered.plain?.length;
    const result = await deliver(
      { from: 'a@sender.test', to: ['c@plain.test'] },
      MESSAGE,
      options({ fetch: loopbackFetch }),
    );
    expect(result.recipients).toMatchObject([
      { status: 'deferred', reply: { code: 451, enhanced: '4.7.5' } },
    ]);
    expect(delivered.plain?.length).toBe(before);
    // Without MTA-STS the same host takes the mail.
    const without = await deliver({ from: 'a@sender.test', to: ['c@plain.test'] }, MESSAGE, options(false));
    expect(without.recipients).toMatchObject([
      { status: 'delivered', host: 'mx-plain.sts.test', secure: false },
    ]);
  });

  it('testing: the mail goes as without a policy, and the result reports what enforcing would refuse', async () => {
    const before = delivered.outside?.length ?? 0;
    const result = await deliver(
      { from: 'a@sender.test', to: ['d@testing.test'] },
      MESSAGE,
      options({ fetch: loopbackFetch }),
    );
    expect(result.recipients).toMatchObject([{ status: 'delivered', host: 'mx-outside.other.test' }]);
    expect(delivered.outside).toHaveLength(before + 1);
    expect(result.domains[0]?.mtaSts).toEqual({
      id: 't1',
      mode: 'testing',
      failures: ["mx-outside.other.test: not among the policy's mx patterns"],
    });
  });

  it('a cached policy is used while the TXT id is the same, and fetched again when it changes', async () => {
    const cache = new Map<string, MtaStsCacheEntry>();
    const count = () => fetched.filter((f) => f.startsWith('mta-sts.testing.test')).length;
    const before = count();
    const send = () =>
      deliver(
        { from: 'a@sender.test', to: ['e@testing.test'] },
        MESSAGE,
        options({ fetch: loopbackFetch, cache }),
      );
    await send();
    await send();
    expect(count()).toBe(before + 1);
    expect(cache.get('testing.test')).toMatchObject({ id: 't1', policy: { mode: 'testing', maxAge: 86400 } });
    // A policy cached under another id (the domain published a new one): fetched again.
    const old = cache.get('testing.test') as MtaStsCacheEntry;
    cache.set('testing.test', { ...old, id: 'older' });
    await send();
    expect(count()).toBe(before + 2);
    expect(cache.get('testing.test')?.id).toBe('t1');
  });

  it('a policy that cannot be fetched is no policy (and a cached one stands)', async () => {
    const failing: MtaStsFetch = async () =>
      new Response('moved', { status: 301, headers: { location: 'x' } });
    const result = await deliver(
      { from: 'a@sender.test', to: ['f@enforce.test'] },
      MESSAGE,
      options({ fetch: failing, cache: new Map() }),
    );
    // No policy: the first host by preference, outside the policy, gets it.
    expect(result.recipients).toMatchObject([{ status: 'delivered', host: 'mx-outside.other.test' }]);
    expect(result.domains[0]?.mtaSts).toBeUndefined();
    const cache = new Map<string, MtaStsCacheEntry>();
    await deliver(
      { from: 'a@sender.test', to: ['f@enforce.test'] },
      MESSAGE,
      options({ fetch: loopbackFetch, cache }),
    );
    const entry = cache.get('enforce.test') as MtaStsCacheEntry;
    cache.set('enforce.test', { ...entry, id: 'older' });
    const cached = await deliver(
      { from: 'a@sender.test', to: ['f@enforce.test'] },
      MESSAGE,
      options({ fetch: failing, cache }),
    );
    expect(cached.recipients).toMatchObject([{ status: 'delivered', host: 'mx-valid.sts.test' }]);
  });

  it('mtaSts: true keeps a policy between calls, and it stands when the TXT record disappears', async () => {
    vi.stubGlobal('fetch', loopbackFetch);
    try {
      const count = () => fetched.filter((f) => f.startsWith('mta-sts.kept.test')).length;
      const send = (resolver: DnsResolver) =>
        deliver({ from: 'a@sender.test', to: ['g@kept.test'] }, MESSAGE, { ...options(true), resolver });
      const first = await send(dns.resolver);
      const second = await send(dns.resolver);
      expect(count()).toBe(1);
      for (const result of [first, second])
        expect(result.recipients).toMatchObject([{ status: 'delivered', host: 'mx-valid.sts.test' }]);
      // An attacker removes the record (RFC 8461 10.2): the cached policy still holds.
      const withoutRecord: DnsResolver = {
        resolveMx: (name) => dns.resolver.resolveMx(name),
        resolve4: (name) => dns.resolver.resolve4(name),
        resolve6: (name) => dns.resolver.resolve6(name),
        resolveTxt: async (name) => {
          if (name === '_mta-sts.kept.test') throw Object.assign(new Error('removed'), { code: 'ENODATA' });
          return dns.resolver.resolveTxt(name);
        },
      };
      const third = await send(withoutRecord);
      expect(third.recipients).toMatchObject([{ status: 'delivered', host: 'mx-valid.sts.test' }]);
      expect(third.domains[0]?.mtaSts).toMatchObject({ id: 'k1', mode: 'enforce' });
      expect(count()).toBe(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('the default cache keeps at most its bound of domains, drops the oldest, and drops expired entries when read', () => {
    const entry = (expires: number): MtaStsCacheEntry => ({
      id: 'x',
      policy: { version: 'STSv1', mode: 'none', mx: [], maxAge: 1 },
      expires,
    });
    const later = Date.now() + 60_000;
    const cache = new BoundedMtaStsCache(3);
    for (const domain of ['a.test', 'b.test', 'c.test']) cache.set(domain, entry(later));
    cache.set('a.test', entry(later)); // renewed: now the newest
    cache.set('d.test', entry(later));
    expect(cache.size).toBe(3);
    expect(cache.get('b.test')).toBeUndefined();
    expect(cache.get('a.test')).toBeDefined();
    cache.set('e.test', entry(Date.now() - 1));
    expect(cache.get('e.test')).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it("an expired entry in a caller's Map is deleted when read", async () => {
    const cache = new Map<string, MtaStsCacheEntry>([
      ['none.test', { id: 'x', policy: { version: 'STSv1', mode: 'none', mx: [], maxAge: 1 }, expires: 1 }],
    ]);
    const mtaSts = new MtaSts({ fetch: loopbackFetch, cache });
    expect(
      await mtaSts.policyOf({ resolver: dns.resolver, timeout: 2000, signal: undefined }, 'none.test'),
    ).toBe(undefined);
    expect(cache.has('none.test')).toBe(false);
  });

  it('a fetch that does not heed its signal is given up at the deadline, and the request is aborted', async () => {
    const signals: AbortSignal[] = [];
    const deaf: MtaStsFetch = (_url, init) => {
      signals.push(init.signal);
      return new Promise(() => {}); // never settles, whatever the signal says
    };
    const mtaSts = new MtaSts({ fetch: deaf, timeout: 300, cache: new Map() });
    const lookups = { resolver: dns.resolver, timeout: 2000, signal: undefined };
    const started = Date.now();
    expect(await mtaSts.policyOf(lookups, 'enforce.test')).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('the body of a 200 that is not text/plain is cancelled, and the request aborted', async () => {
    let cancelled = false;
    const signals: AbortSignal[] = [];
    const html: MtaStsFetch = async (_url, init) => {
      signals.push(init.signal);
      const body = new ReadableStream<Uint8Array>({
        pull: () => new Promise(() => {}), // a body that would hold its connection for ever
        cancel: () => {
          cancelled = true;
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'text/html' } });
    };
    const mtaSts = new MtaSts({ fetch: html, timeout: 2000, cache: new Map() });
    const lookups = { resolver: dns.resolver, timeout: 2000, signal: undefined };
    expect(await mtaSts.policyOf(lookups, 'enforce.test')).toBeUndefined();
    expect(cancelled).toBe(true);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('a policy of another type than text/plain, over the size bound, or not served in time is no policy', async () => {
    const mtaSts = new MtaSts({ fetch: loopbackFetch, timeout: 300, maxPolicySize: 64 * 1024 });
    const lookups = { resolver: dns.resolver, timeout: 2000, signal: undefined };
    expect(await mtaSts.policyOf(lookups, 'enforce.test')).toMatchObject({
      id: 'e1',
      policy: { mode: 'enforce' },
    });
    expect(await mtaSts.policyOf(lookups, 'html.test')).toBeUndefined();
    expect(await mtaSts.policyOf(lookups, 'large.test')).toBeUndefined();
    const started = Date.now();
    expect(await mtaSts.policyOf(lookups, 'slow.test')).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(fetched).toEqual(
      expect.arrayContaining([
        'mta-sts.html.test/.well-known/mta-sts.txt',
        'mta-sts.large.test/.well-known/mta-sts.txt',
        'mta-sts.slow.test/.well-known/mta-sts.txt',
      ]),
    );
  });
});
