import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SmtpError } from '../../src/protocol/errors.js';
import { CLI, runSend } from '../helpers/cli.js';
import { dnsmasqProgram, type RunningDns, startDnsmasq } from '../helpers/dnsmasq.js';
import { describeWithPeer } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { collectingServer, type Delivered } from '../helpers/server.js';

const MX = '127.0.0.22'; // takes mail, refuses nobody@
const CLOSED = '127.0.0.23'; // nothing listens
const message = 'From: a@sender.test\r\nSubject: mx\r\n\r\nhello\r\n';

interface MxOutcome {
  recipients: { recipient: string; status: string; reply: string; host?: string; reason?: string }[];
}

describeWithPeer('dnsmasq', dnsmasqProgram, (program) => {
  let dns: RunningDns;
  let port: number;
  let delivered: Delivered[];
  let close: () => Promise<void>;

  beforeAll(async () => {
    port = await freePort();
    dns = await startDnsmasq(program, {
      zone: 'test',
      mx: [
        { domain: 'cli.test', host: 'mx.cli.test', preference: 10 },
        { domain: 'down.test', host: 'mx.down.test', preference: 10 },
        { domain: 'null.test', host: '.', preference: 0 },
      ],
      hosts: [
        { name: 'mx.cli.test', address: MX },
        { name: 'mx.down.test', address: CLOSED },
      ],
    });
    const collecting = collectingServer({
      async onRcptTo(to) {
        if (to.localPart === 'nobody') throw new SmtpError(550, '5.1.1', 'no such user');
      },
    });
    delivered = collecting.delivered;
    await collecting.server.listen({ host: MX, port });
    close = () => collecting.server.close();
  });
  afterAll(async () => {
    await close?.();
    await dns?.stop();
  });

  const mxSend = (...to: string[]) => [
    '--mx',
    '--dns-server',
    dns.server,
    '--port',
    String(port),
    '--timeout',
    '5',
    '--from',
    'a@sender.test',
    ...to.flatMap((t) => ['--to', t]),
  ];

  it('esmtp send --mx delivers to the MX host, prints each outcome and exits 0', async () => {
    const outcome = await runSend(mxSend('bob@cli.test'), message);
    expect(outcome.status).toBe(0);
    expect((outcome.json as unknown as MxOutcome).recipients).toMatchObject([
      {
        recipient: 'bob@cli.test',
        status: 'delivered',
        host: 'mx.cli.test',
        reply: expect.stringMatching(/^250 /),
      },
    ]);
    expect(delivered.at(-1)?.body).toBe(message);
  });

  it('exits 75 when recipients were only deferred, 1 when any failed', async () => {
    const deferred = await runSend(mxSend('bob@cli.test', 'carol@down.test'), message);
    expect(deferred.status).toBe(75);
    expect((deferred.json as unknown as MxOutcome).recipients.map((r) => r.status)).toEqual([
      'delivered',
      'deferred',
    ]);
    expect(deferred.stderr).toMatch(/esmtp: carol@down\.test deferred: mx\.down\.test\[127\.0\.0\.23\]/);
    const failed = await runSend(mxSend('nobody@cli.test', 'dan@null.test', 'carol@down.test'), message);
    expect(failed.status).toBe(1);
    expect((failed.json as unknown as MxOutcome).recipients).toMatchObject([
      { status: 'failed', reply: '550 5.1.1 no such user' },
      { status: 'failed', reply: expect.stringMatching(/^556 5\.1\.10 /) },
      { status: 'deferred' },
    ]);
  });

  it('options of a relay do not go with --mx, nor --mx options without it', () => {
    for (const [args, error] of [
      [['--mx', '--server', 'smtp://127.0.0.1:1'], '--server does not go with --mx'],
      [['--mx', '--auth', 'a:b'], '--auth does not go with --mx'],
      [['--server', 'smtp://127.0.0.1:1', '--port', '25'], '--port goes with --mx only'],
      [['--mx', '--dns-server', 'dns.example'], '--dns-server needs an IP address, with :PORT if not 53'],
    ] as const) {
      const run = spawnSync(
        process.execPath,
        [CLI, 'send', ...args, '--from', 'a@b.test', '--to', 'c@d.test'],
        {
          encoding: 'utf8',
        },
      );
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr.split('\n')[0]).toBe(`esmtp: ${error}`);
    }
  });
});
