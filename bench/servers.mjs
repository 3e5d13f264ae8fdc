// Server benchmarks: esmtp serve --no-store against nodemailer's smtp-server, aiosmtpd and
// Postfix's smtp-sink (the C reference), driven by Postfix's smtp-source, in alternating rounds.
//   node bench/servers.mjs            the full run (see bench/README.md)
//   node bench/servers.mjs --smoke    a few messages of each workload; checks delivery only
//   node bench/servers.mjs small many only the workloads named (small, large, huge, many)
import os from 'node:os';
import { BEFORE, fmt, manyConnections, median, rounds as roundsOf, smtpSource, table } from './lib.mjs';

const smoke = process.argv.includes('--smoke');
const named = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const wanted = (workload) => named.length === 0 || named.includes(workload);
const env = (name, full, small) => Number(process.env[name] ?? (smoke ? small : full));
const ROUNDS = env('BENCH_ROUNDS', 5, 1);
const SMALL = env('BENCH_SMALL_MESSAGES', 20000, 200);
const LARGE = env('BENCH_LARGE_MESSAGES', 1000, 10);
const CONNECTIONS = env('BENCH_CONNECTIONS', 1000, 50);
const HUGE_MIB = env('BENCH_HUGE_MIB', 1024, 16);
const PER_CONNECTION = env('BENCH_PER_CONNECTION', 10, 2);
const rounds = (contenders, work) => roundsOf(ROUNDS, contenders, work);

console.log(
  `esmtp server bench: ${os.cpus().length} cores, Node ${process.version}, ${ROUNDS} round(s), medians${smoke ? ' (smoke run)' : ''}`,
);
// The two Node floors are not servers: they show what Node's sockets alone cost (peers/node-floor.mjs).
const before = BEFORE === undefined ? [] : ['esmtp before'];
const servers = [
  ...before,
  'esmtp',
  'smtp-server',
  'aiosmtpd',
  'smtp-sink',
  'node floor',
  'node floor, one read buffer',
];

const small =
  wanted('small') &&
  (await rounds(servers, async (s) => ({
    count: SMALL,
    seconds: await smtpSource(s.port, { sessions: 20, messages: SMALL, size: 4096 }),
  })));
const large =
  wanted('large') &&
  (await rounds(servers, async (s) => ({
    count: LARGE,
    seconds: await smtpSource(s.port, { sessions: 10, messages: LARGE, size: 1048576 }),
  })));
// 2b. One message of 1 GiB: esmtp's memory must not grow with the message.
const huge =
  wanted('huge') &&
  (await rounds(['esmtp'], async (s) => ({
    count: 1,
    seconds: await smtpSource(s.port, { sessions: 1, messages: 1, size: HUGE_MIB * 1048576 }),
  })));
const many =
  wanted('many') &&
  (await rounds([...before, 'esmtp', 'smtp-server'], async (s) => {
    const start = process.hrtime.bigint();
    await manyConnections(s.port, CONNECTIONS, PER_CONNECTION);
    return { count: CONNECTIONS * PER_CONNECTION, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
  }));

const rate = (r, name) => median(r[name].rates);
const rss = (r, name) => median(r[name].rss);
const cpu = (r, name) => median(r[name].cpu);
const vs = (r, name) => fmt(rate(r, name) / rate(r, 'smtp-server'), 2);
if (small) {
  console.log('');
  console.log(`1. ${SMALL} messages of 4 KiB over 20 sessions (smtp-source), messages per second`);
  console.log(
    table(
      ['server', 'msg/s', 'ratio to smtp-server', 'CPU µs/msg', 'peak RSS MB'],
      servers.map((n) => [n, fmt(rate(small, n)), vs(small, n), fmt(cpu(small, n)), fmt(rss(small, n))]),
    ),
  );
}
if (large) {
  console.log('');
  console.log(`2. ${LARGE} messages of 1 MiB over 10 sessions (smtp-source), MB per second and peak RSS`);
  console.log(
    table(
      ['server', 'MB/s', 'ratio to smtp-server', 'CPU ms/msg', 'peak RSS MB'],
      servers.map((n) => [
        n,
        fmt(rate(large, n) * 1.048576),
        vs(large, n),
        fmt(cpu(large, n) / 1000, 2),
        fmt(rss(large, n)),
      ]),
    ),
  );
}
if (huge) {
  console.log('');
  console.log(
    `2b. one message of ${HUGE_MIB} MiB to esmtp: ${fmt(median(huge.esmtp.rates) * HUGE_MIB * 1.048576)} MB/s, peak RSS ${fmt(rss(huge, 'esmtp'))} MB`,
  );
}
if (many) {
  console.log('');
  console.log(`3. ${CONNECTIONS} connections at once, ${PER_CONNECTION} messages each: all delivered`);
  console.log(
    table(
      ['server', 'msg/s', 'ratio to smtp-server', 'CPU µs/msg', 'peak RSS MB'],
      [...before, 'esmtp', 'smtp-server'].map((n) => [
        n,
        fmt(rate(many, n)),
        vs(many, n),
        fmt(cpu(many, n)),
        fmt(rss(many, n)),
      ]),
    ),
  );
}
