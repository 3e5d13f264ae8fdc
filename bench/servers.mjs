// Server benchmarks: esmtp serve --no-store against nodemailer's smtp-server, aiosmtpd and
// Postfix's smtp-sink (the C reference), driven by Postfix's smtp-source, in alternating rounds.
//   node bench/servers.mjs            the full run (see bench/README.md)
//   node bench/servers.mjs --smoke    a few messages of each workload; checks delivery only
//   node bench/servers.mjs small many only the workloads named (small, large, huge, many)
import { connect } from 'node:net';
import os from 'node:os';
import { fmt, median, smtpSource, startServer, table } from './lib.mjs';

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

/** Runs `work` against each contender in turn, `ROUNDS` times (A B C A B C ...). */
async function rounds(contenders, work) {
  const results = Object.fromEntries(contenders.map((c) => [c, { rates: [], rss: [], cpu: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of contenders) {
      const server = await startServer(name);
      const idle = server.cpuSeconds(); // starting up is not part of the work
      const { count, seconds } = await work(server);
      const rss = server.peakRssMb();
      const cpu = server.cpuSeconds() - idle;
      const delivered = await server.stop();
      if (delivered !== count) throw new Error(`${name}: ${delivered} of ${count} messages arrived`);
      results[name].rates.push(count / seconds);
      results[name].rss.push(rss);
      results[name].cpu.push((cpu / count) * 1e6);
    }
  }
  return results;
}

/** 1000 connections at once, each sending its messages in lock-step. */
function manyConnections(port) {
  const body = `Subject: many\r\n\r\n${'x'.repeat(1000)}\r\n.\r\n`;
  const one = () =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let buffer = '';
      let sent = 0;
      let step = 0; // replies still awaited before the next command
      const script = [];
      for (let i = 0; i < PER_CONNECTION; i++) {
        script.push('MAIL FROM:<alice@example.com>\r\n', 'RCPT TO:<bob@example.org>\r\n', 'DATA\r\n', body);
      }
      script.push('QUIT\r\n');
      socket.setEncoding('latin1');
      socket.on('data', (text) => {
        buffer += text;
        for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (line[3] === '-') continue; // a multi-line reply goes on
          if (line.startsWith('4') || line.startsWith('5')) return reject(new Error(`refused: ${line}`));
          if (step === 0) socket.write('EHLO bench.example\r\n');
          else if (sent < script.length) socket.write(script[sent++]);
          step++;
        }
      });
      socket.on('close', () => (sent === script.length ? resolve() : reject(new Error('closed early'))));
      socket.on('error', reject);
    });
  return Promise.all(Array.from({ length: CONNECTIONS }, one));
}

console.log(
  `esmtp server bench: ${os.cpus().length} cores, Node ${process.version}, ${ROUNDS} round(s), medians${smoke ? ' (smoke run)' : ''}`,
);
// The two Node floors are not servers: they show what Node's sockets alone cost (peers/node-floor.mjs).
const servers = [
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
  (await rounds(['esmtp', 'smtp-server'], async (s) => {
    const start = process.hrtime.bigint();
    await manyConnections(s.port);
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
      ['esmtp', 'smtp-server'].map((n) => [
        n,
        fmt(rate(many, n)),
        vs(many, n),
        fmt(cpu(many, n)),
        fmt(rss(many, n)),
      ]),
    ),
  );
}
