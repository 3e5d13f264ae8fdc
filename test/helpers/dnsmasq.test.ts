import { afterAll, beforeAll, expect, it } from 'vitest';
import { dnsmasqProgram, type RunningDns, startDnsmasq } from './dnsmasq.js';
import { describeWithPeer } from './peers.js';

describeWithPeer('dnsmasq', dnsmasqProgram, (program) => {
  let dns: RunningDns;
  beforeAll(async () => {
    dns = await startDnsmasq(program, {
      zone: 'test',
      mx: [
        { domain: 'example.test', host: 'mx1.example.test', preference: 10 },
        { domain: 'null.test', host: '.', preference: 0 },
      ],
      hosts: [
        { name: 'mx1.example.test', address: '127.0.0.1' },
        { name: 'mx1.example.test', address: '::1' },
      ],
      txt: [{ name: '_mta-sts.example.test', text: 'v=STSv1; id=20261203' }],
    });
  });
  afterAll(() => dns?.stop());

  it('answers with the records it was given, and with authority for the rest of its zone', async () => {
    const { resolver } = dns;
    expect(await resolver.resolveMx('example.test')).toEqual([
      { exchange: 'mx1.example.test', priority: 10 },
    ]);
    expect(await resolver.resolveMx('null.test')).toEqual([{ exchange: '', priority: 0 }]);
    expect(await resolver.resolve4('mx1.example.test')).toEqual(['127.0.0.1']);
    expect(await resolver.resolve6('mx1.example.test')).toEqual(['::1']);
    expect(await resolver.resolveTxt('_mta-sts.example.test')).toEqual([['v=STSv1; id=20261203']]);
    await expect(resolver.resolveMx('mx1.example.test')).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(resolver.resolveMx('nowhere.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(dns.log()).toContain('query[MX] example.test');
  });
});
