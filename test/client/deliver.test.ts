import { createReadStream, mkdtempSync, type ReadStream, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliver } from '../../src/client/deliver/deliver.js';
import { inPreferenceOrder } from '../../src/client/deliver/dns.js';
import type { DeliverOptions, DnsResolver, RecipientOutcome } from '../../src/client/deliver/types.js';
import { SmtpError } from '../../src/protocol/errors.js';
import { SmtpServer } from '../../src/server/smtp-server.js';
import { certificateFor, testCertificates } from '../helpers/certs.js';
import { dnsmasqProgram, type RunningDns, startDnsmasq } from '../helpers/dnsmasq.js';
import { describeWithPeer } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { collectingServer, type Delivered } from '../helpers/server.js';

// Every MX host listens on the same port, each on an address of its own in 127.0.0.0/8.
const GOOD = '127.0.0.2'; // takes mail; refuses nobody@ (550) and later@ (450)
const CLOSED = '127.0.0.3'; // nothing listens
const BUSY = '127.0.0.4'; // greets with 421
const OLD_TLS = '127.0.0.5'; // offers STARTTLS, whose handshake fails (TLS 1.1 at most)
const TLS = '127.0.0.6'; // STARTTLS with a certificate for mx-tls.test
const DROPS = '127.0.0.7'; // greets, answers EHLO, and closes the connection at MAIL FROM
const LITERAL_TLS = '127.0.0.8'; // STARTTLS with a certificate for the IP address 127.0.0.8
const MESSAGE = 'Subject: hello\r\n\r\nbody\r\n';

describeWithPeer('dnsmasq', dnsmasqProgram, (program) => {
  let dns: RunningDns;
  let port: number;
  const servers: SmtpServer[] = [];
  let good: Delivered[];
  let tlsDelivered: Delivered[];
  let oldTlsDelivered: Delivered[];
  let busyConnections = 0;
  let drops: Server;
  let literalDelivered: Delivered[];
  /** The server names (SNI) the TLS MX and the literal's server were asked for. */
  const tlsNames: string[] = [];
  const literalNames: string[] = [];
  const recordName = (names: string[]) => (name: string) => {
    names.push(name);
    return undefined; // the default certificate
  };

  beforeAll(async () => {
    port = await freePort();
    const mx = (domain: string, host: string, preference: number) => ({ domain, host, preference });
    dns = await startDnsmasq(program, {
      zone: 'test',
      mx: [
        mx('first.test', 'mx-good.test', 10),
        mx('first.test', 'mx-busy.test', 20),
        mx('fallback.test', 'mx-closed.test', 10),
        mx('fallback.test', 'mx-busy.test', 20),
        mx('fallback.test', 'mx-good.test', 30),
        mx('down.test', 'mx-closed.test', 10),
        mx('down.test', 'mx-busy.test', 20),
        mx('noaddress.test', 'mx-none.test', 10),
        mx('null.test', '.', 0),
        mx('oldtls.test', 'mx-oldtls.test', 10),
        mx('tls.test', 'mx-tls.test', 10),
        mx('drops.test', 'mx-drops.test', 10),
        mx('drops.test', 'mx-good.test', 20),
      ],
      hosts: [
        { name: 'mx-good.test', address: GOOD },
        { name: 'mx-closed.test', address: CLOSED },
        { name: 'mx-busy.test', address: BUSY },
        { name: 'mx-oldtls.test', address: OLD_TLS },
        { name: 'mx-tls.test', address: TLS },
        { name: 'mx-drops.test', address: DROPS },
        { name: 'implicit.test', address: GOOD },
      ],
      txt: [{ name: 'noaddress-either.test', text: 'the name exists with no MX and no address' }],
    });
    const collecting = collectingServer({
      hostname: 'mx-good.test',
      async onRcptTo(to) {
        if (to.localPart === 'nobody') throw new SmtpError(550, '5.1.1', 'no such user');
        if (to.localPart === 'later') throw new SmtpError(450, '4.2.1', 'try later');
      },
    });
    good = collecting.delivered;
    const busy = new SmtpServer({
      hostname: 'mx-busy.test',
      onConnect() {
        busyConnections++;
        throw new SmtpError(421, '4.3.2', 'too busy');
      },
    });
    const { localhost } = testCertificates();
    const oldTls = collectingServer({
      hostname: 'mx-oldtls.test',
      tls: { ...localhost, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' },
    });
    oldTlsDelivered = oldTls.delivered;
    const tls = collectingServer({
      hostname: 'mx-tls.test',
      tls: { ...certificateFor('mx-tls.test'), sni: recordName(tlsNames) },
    });
    tlsDelivered = tls.delivered;
    const literalTls = collectingServer({
      tls: { ...certificateFor(LITERAL_TLS), sni: recordName(literalNames) },
    });
    literalDelivered = literalTls.delivered;
    const listening: [SmtpServer, string][] = [
      [collecting.server, GOOD],
      [busy, BUSY],
      [oldTls.server, OLD_TLS],
      [tls.server, TLS],
      [literalTls.server, LITERAL_TLS],
    ];
    for (const [server, host] of listening) {
      await server.listen({ host, port });
      servers.push(server);
    }
    drops = createServer((socket) => {
      socket.write('220 mx-drops.test ESMTP\r\n');
      socket.setEncoding('latin1').on('data', (data: string) => {
        if (/^MAIL FROM/im.test(data)) socket.destroy();
        else if (/^(EHLO|HELO)/i.test(data)) socket.write('250 mx-drops.test\r\n');
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => drops.listen(port, DROPS, resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => drops?.close(resolve));
    await Promise.all(servers.map((s) => s.close()));
    await dns?.stop();
  });

  const options = (more: DeliverOptions = {}): DeliverOptions => ({
    resolver: dns.resolver,
    port,
    name: 'sender.test',
    timeouts: { connect: 2000, greeting: 2000, command: 2000, data: 2000, dns: 2000 },
    ...more,
  });
  const only = (outcomes: readonly RecipientOutcome[]) => {
    expect(outcomes).toHaveLength(1);
    return outcomes[0] as RecipientOutcome;
  };

  it('the MX host of lowest preference takes the message; the others are not tried', async () => {
    const before = { good: good.length, busy: busyConnections };
    const result = await deliver({ from: 'a@sender.test', to: ['Bob@First.Test'] }, MESSAGE, options());
    expect(only(result.recipients)).toMatchObject({
      status: 'delivered',
      recipient: 'Bob@First.Test',
      host: 'mx-good.test',
      address: GOOD,
      reply: { code: 250 },
      secure: false,
    });
    expect(good.length).toBe(before.good + 1);
    expect(good.at(-1)?.envelope.recipients.map((t) => t.address.address)).toEqual(['Bob@First.Test']);
    expect(good.at(-1)?.body).toBe(MESSAGE);
    expect(busyConnections).toBe(before.busy);
    expect(result.domains).toEqual([{ domain: 'first.test' }]);
  });

  it('a host that refuses the connection, then one that greets with 421, give way to the next', async () => {
    const before = { good: good.length, busy: busyConnections };
    const result = await deliver({ from: 'a@sender.test', to: ['c@fallback.test'] }, MESSAGE, options());
    expect(only(result.recipients)).toMatchObject({ status: 'delivered', host: 'mx-good.test' });
    expect(busyConnections).toBe(before.busy + 1);
    expect(good.length).toBe(before.good + 1);
    // In preference order: the closed host's address was looked up before the busy one's.
    const log = dns.log();
    expect(log.indexOf('query[A] mx-closed.test')).toBeGreaterThanOrEqual(0);
    expect(log.indexOf('query[A] mx-closed.test')).toBeLessThan(log.indexOf('query[A] mx-busy.test'));
  });

  it('a host that closes the connection before the message went gives way to the next', async () => {
    const before = good.length;
    const result = await deliver({ from: 'a@sender.test', to: ['v@drops.test'] }, MESSAGE, options());
    expect(only(result.recipients)).toMatchObject({ status: 'delivered', host: 'mx-good.test' });
    expect(good.length).toBe(before + 1);
  });

  it('when no host takes the connection, the recipients are deferred with what each host did', async () => {
    const result = await deliver(
      { from: 'a@sender.test', to: ['d@down.test', 'e@down.test'] },
      MESSAGE,
      options(),
    );
    for (const outcome of result.recipients) {
      expect(outcome).toMatchObject({ status: 'deferred', reply: { code: 451, enhanced: '4.4.1' } });
      expect(outcome.status === 'deferred' && outcome.reason).toMatch(
        /mx-closed\.test\[127\.0\.0\.3\]: .*; mx-busy\.test\[127\.0\.0\.4\]: 421 too busy/,
      );
    }
    const none = await deliver({ from: 'a@sender.test', to: ['x@noaddress.test'] }, MESSAGE, options());
    expect(only(none.recipients)).toMatchObject({
      status: 'deferred',
      reason: 'mx-none.test: no A or AAAA record',
    });
  });

  it('a domain without MX records is its own host (the implicit MX); without an address either, it fails', async () => {
    const none = await deliver(
      { from: 'a@sender.test', to: ['f@noaddress-either.test'] },
      MESSAGE,
      options(),
    );
    expect(only(none.recipients)).toMatchObject({
      status: 'failed',
      reply: { code: 550, enhanced: '5.1.2' },
    });
    const result = await deliver({ from: 'a@sender.test', to: ['f@implicit.test'] }, MESSAGE, options());
    expect(only(result.recipients)).toMatchObject({
      status: 'delivered',
      host: 'implicit.test',
      address: GOOD,
    });
  });

  it('an empty MX answer from a custom resolver is no MX (the implicit MX), not a null MX', async () => {
    const empty: DnsResolver = {
      resolveMx: async (name) => (name === 'implicit.test' ? [] : dns.resolver.resolveMx(name)),
      resolve4: (name) => dns.resolver.resolve4(name),
      resolve6: (name) => dns.resolver.resolve6(name),
      resolveTxt: (name) => dns.resolver.resolveTxt(name),
    };
    const result = await deliver(
      { from: 'a@sender.test', to: ['u@implicit.test'] },
      MESSAGE,
      options({ resolver: empty }),
    );
    expect(only(result.recipients)).toMatchObject({
      status: 'delivered',
      host: 'implicit.test',
      address: GOOD,
    });
  });

  it('a null MX fails at once with 556 5.1.10, a domain that does not exist with 550 5.1.2', async () => {
    const result = await deliver(
      { from: 'a@sender.test', to: ['g@null.test', 'h@nowhere.test'] },
      MESSAGE,
      options(),
    );
    expect(result.recipients).toMatchObject([
      { status: 'failed', recipient: 'g@null.test', reply: { code: 556, enhanced: '5.1.10' } },
      { status: 'failed', recipient: 'h@nowhere.test', reply: { code: 550, enhanced: '5.1.2' } },
    ]);
    expect(dns.log()).not.toContain('query[A] null.test');
  });

  it('a 5xx for one recipient fails it, a 4xx defers it, the others are delivered, in one transaction', async () => {
    const before = good.length;
    const to = ['nobody@first.test', 'ok@first.test', 'later@first.test'];
    const result = await deliver({ from: 'a@sender.test', to }, MESSAGE, options());
    expect(result.recipients).toMatchObject([
      {
        status: 'failed',
        recipient: 'nobody@first.test',
        reply: { code: 550, enhanced: '5.1.1' },
        host: 'mx-good.test',
      },
      { status: 'delivered', recipient: 'ok@first.test' },
      { status: 'deferred', recipient: 'later@first.test', reply: { code: 450, enhanced: '4.2.1' } },
    ]);
    expect(good.length).toBe(before + 1);
  });

  it('a 5xx for every recipient fails them all with their own replies, and is not tried elsewhere', async () => {
    const before = busyConnections;
    const result = await deliver({ from: 'a@sender.test', to: ['nobody@first.test'] }, MESSAGE, options());
    expect(only(result.recipients)).toMatchObject({
      status: 'failed',
      reply: { code: 550, enhanced: '5.1.1' },
    });
    expect(busyConnections).toBe(before);
  });

  it('mixed domains and an address literal in one call: each recipient its own outcome, in order', async () => {
    const before = good.length;
    const to = [
      'i@first.test',
      'j@null.test',
      `k@[${GOOD}]`,
      'l@FIRST.test',
      'm@nowhere.test',
      'not an address',
    ];
    const result = await deliver({ from: 'a@sender.test', to }, MESSAGE, options());
    expect(result.recipients.map((r) => [r.recipient, r.status])).toEqual([
      ['i@first.test', 'delivered'],
      ['j@null.test', 'failed'],
      [`k@[${GOOD}]`, 'delivered'],
      ['l@FIRST.test', 'delivered'],
      ['m@nowhere.test', 'failed'],
      ['not an address', 'failed'],
    ]);
    expect(result.recipients[2]).toMatchObject({ host: `[${GOOD}]`, address: GOOD });
    // One transaction for first.test (both recipients), one for the literal.
    expect(good.length).toBe(before + 2);
    const envelopes = good
      .slice(before)
      .map((d) => d.envelope.recipients.map((t) => t.address.address).sort());
    expect(envelopes).toContainEqual(['i@first.test', 'l@FIRST.test']);
    expect(result.domains.map((d) => d.domain).sort()).toEqual([
      `[${GOOD}]`,
      'first.test',
      'nowhere.test',
      'null.test',
    ]);
  });

  it("tls: 'required' with a host that does not offer STARTTLS defers with 4.7.5", async () => {
    const before = good.length;
    const result = await deliver(
      { from: 'a@sender.test', to: ['n@implicit.test'] },
      MESSAGE,
      options({ tls: 'required' }),
    );
    expect(only(result.recipients)).toMatchObject({
      status: 'deferred',
      reply: { code: 451, enhanced: '4.7.5' },
    });
    expect(good.length).toBe(before);
  });

  it("tls: 'required' verifies the certificate against the MX host's name", async () => {
    const { ca } = testCertificates();
    const result = await deliver(
      { from: 'a@sender.test', to: ['o@tls.test'] },
      MESSAGE,
      options({ tls: 'required', ca }),
    );
    expect(only(result.recipients)).toMatchObject({ status: 'delivered', host: 'mx-tls.test', secure: true });
    // Without the CA that issued it, the certificate is not valid: the host is not used.
    const untrusted = await deliver(
      { from: 'a@sender.test', to: ['o@tls.test'] },
      MESSAGE,
      options({ tls: 'required' }),
    );
    expect(only(untrusted.recipients)).toMatchObject({ status: 'deferred', reply: { enhanced: '4.7.5' } });
    expect(tlsDelivered.length).toBe(1);
  });

  it("tls: 'required' to an address literal verifies the certificate for that IP address", async () => {
    const { ca } = testCertificates();
    const result = await deliver(
      { from: 'a@sender.test', to: [`x@[${LITERAL_TLS}]`] },
      MESSAGE,
      options({ tls: 'required', ca }),
    );
    expect(only(result.recipients)).toMatchObject({
      status: 'delivered',
      host: `[${LITERAL_TLS}]`,
      address: LITERAL_TLS,
      secure: true,
    });
    expect(literalDelivered).toHaveLength(1);
    expect(literalNames).toEqual([]); // an address is no server name: no SNI
  });

  it('opportunistic TLS to an address literal sends no SNI; to an MX, its name', async () => {
    literalNames.length = tlsNames.length = 0;
    const literal = await deliver({ from: 'a@sender.test', to: [`y@[${LITERAL_TLS}]`] }, MESSAGE, options());
    expect(only(literal.recipients)).toMatchObject({ status: 'delivered', secure: true });
    expect(literalNames).toEqual([]);
    const named = await deliver({ from: 'a@sender.test', to: ['s@tls.test'] }, MESSAGE, options());
    expect(only(named.recipients)).toMatchObject({ status: 'delivered', secure: true });
    expect(tlsNames).toEqual(['mx-tls.test']);
  });

  it('opportunistic TLS encrypts without checking the certificate, and falls back to cleartext when TLS fails', async () => {
    const secure = await deliver({ from: 'a@sender.test', to: ['p@tls.test'] }, MESSAGE, options());
    expect(only(secure.recipients)).toMatchObject({ status: 'delivered', secure: true });
    const fallback = await deliver({ from: 'a@sender.test', to: ['q@oldtls.test'] }, MESSAGE, options());
    expect(only(fallback.recipients)).toMatchObject({
      status: 'delivered',
      host: 'mx-oldtls.test',
      secure: false,
    });
    expect(oldTlsDelivered).toHaveLength(1);
  });

  it('a message given as a stream is read once and sent to every domain; too large a stream is refused before sending', async () => {
    const before = good.length;
    const stream = Readable.from([Buffer.from('Subject: s\r\n'), Buffer.from('\r\nstreamed\r\n')]);
    const result = await deliver(
      { from: 'a@sender.test', to: ['r@first.test', 's@implicit.test'] },
      stream,
      options(),
    );
    expect(result.recipients.map((r) => r.status)).toEqual(['delivered', 'delivered']);
    expect(good.slice(before).map((d) => d.body)).toEqual([
      'Subject: s\r\n\r\nstreamed\r\n',
      'Subject: s\r\n\r\nstreamed\r\n',
    ]);
    const large = Readable.from([Buffer.alloc(100, 0x61)]);
    await expect(
      deliver({ from: 'a@sender.test', to: ['r@first.test'] }, large, options({ maxBuffered: 50 })),
    ).rejects.toMatchObject({ code: 'EMESSAGE' });
    expect(good.length).toBe(before + 2);
  });

  it('a copy of the message that a refused send never read is let go of: the stream destroyed, its file closed', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'esmtp-deliver-')), 'message.eml');
    writeFileSync(file, MESSAGE);
    const opened: ReadStream[] = [];
    const open = () => {
      const stream = createReadStream(file);
      opened.push(stream);
      return stream;
    };
    const result = await deliver({ from: 'a@sender.test', to: ['nobody@first.test'] }, open, options());
    expect(only(result.recipients)).toMatchObject({ status: 'failed', reply: { code: 550 } });
    expect(opened).toHaveLength(1);
    expect(opened[0]?.destroyed).toBe(true);
    let cancelled = 0;
    const web = () => new ReadableStream<Uint8Array>({ cancel: () => void cancelled++ });
    await deliver({ from: 'a@sender.test', to: ['nobody@first.test'] }, web, options());
    expect(cancelled).toBe(1);
    let returned = 0;
    const iterator = async function* () {
      try {
        yield new TextEncoder().encode(MESSAGE);
      } finally {
        returned++;
      }
    };
    // A generator is only returned once started; one that never was has nothing to let go of.
    const generator = iterator();
    await generator.next();
    const refused = await deliver(
      { from: 'a@sender.test', to: ['nobody@first.test'] },
      () => generator,
      options(),
    );
    expect(only(refused.recipients)).toMatchObject({ status: 'failed' });
    expect(returned).toBe(1);
  });

  it('an aborted delivery defers what it had not delivered', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await deliver(
      { from: 'a@sender.test', to: ['t@first.test'] },
      MESSAGE,
      options({ signal: controller.signal }),
    );
    expect(only(result.recipients)).toMatchObject({
      status: 'deferred',
      reply: { code: 451, enhanced: '4.3.0' },
    });
  });
});

describe('inPreferenceOrder', () => {
  it('lowest preference first, and equal preferences in either order over many runs', () => {
    const hosts = [
      { name: 'c', preference: 20 },
      { name: 'a', preference: 10 },
      { name: 'b', preference: 10 },
    ];
    const firsts = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const order = inPreferenceOrder(hosts).map((h) => h.name);
      expect(order[2]).toBe('c');
      firsts.add(order[0] as string);
    }
    expect([...firsts].sort()).toEqual(['a', 'b']);
  });
});
