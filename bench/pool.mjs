// Pool benchmark: messages of 4 KiB to Postfix's smtp-sink, all handed to the pool at once, through
// esmtp's SmtpPool and nodemailer's pooled transport, 20 connections each; esmtp's SmtpClient (one
// client per connection, sending in turn, as in client.mjs) shows what the pool costs over the
// bare client. Alternating rounds, medians. CPU is this process's own (user and system) per message:
// on a shared machine it is steadier than a rate, since time spent waiting for a core does not count.
//   node bench/pool.mjs            the full run
//   node bench/pool.mjs --smoke    a few hundred messages; checks delivery only
import os from 'node:os';
import { SmtpPool } from '../dist/index.js';
import { fmt, median, startServer, table } from './lib.mjs';
import { CONNECTIONS, clientsInTurn, envelope, message, nodemailerPool } from './senders.mjs';

const smoke = process.argv.includes('--smoke');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (smoke ? 1 : 5));
const MESSAGES = Number(process.env.BENCH_POOL_MESSAGES ?? (smoke ? 400 : 20000));

const contenders = {
  SmtpPool: async (port) => {
    // Every message queued at once, as with nodemailer; connections kept for the whole run.
    const pool = new SmtpPool(`smtp://127.0.0.1:${port}`, {
      tls: 'none',
      maxConnections: CONNECTIONS,
      maxMessagesPerConnection: Number.POSITIVE_INFINITY,
      maxQueued: MESSAGES,
    });
    await Promise.all(Array.from({ length: MESSAGES }, () => pool.send(envelope, message)));
    await pool.close();
  },
  nodemailer: (port) => nodemailerPool(port, MESSAGES),
  'SmtpClient x 20': (port) => clientsInTurn(port, MESSAGES),
};

console.log(
  `esmtp pool bench: ${os.cpus().length} cores, Node ${process.version}, ${ROUNDS} round(s), medians${smoke ? ' (smoke run)' : ''}`,
);
const rates = Object.fromEntries(Object.keys(contenders).map((n) => [n, []]));
const cpu = Object.fromEntries(Object.keys(contenders).map((n) => [n, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(contenders)) {
    const sink = await startServer('smtp-sink');
    const start = process.hrtime.bigint();
    const startCpu = process.cpuUsage();
    await run(sink.port);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(startCpu);
    cpu[name].push((used.user + used.system) / MESSAGES);
    const delivered = await sink.stop();
    if (delivered !== MESSAGES) throw new Error(`${name}: ${delivered} of ${MESSAGES} messages arrived`);
    rates[name].push(MESSAGES / seconds);
  }
}
const rate = (name) => median(rates[name]);
console.log('');
console.log(
  `5. ${MESSAGES} messages of 4 KiB, all sent at once, over ${CONNECTIONS} pooled connections to smtp-sink, messages per second`,
);
console.log(
  table(
    ['client', 'msg/s', 'ratio to nodemailer', 'CPU µs/msg', 'CPU ratio nodemailer / this'],
    Object.keys(contenders).map((n) => [
      n,
      fmt(rate(n)),
      fmt(rate(n) / rate('nodemailer'), 2),
      fmt(median(cpu[n])),
      fmt(median(cpu.nodemailer) / median(cpu[n]), 2),
    ]),
  ),
);
if (ROUNDS > 1) {
  console.log('');
  console.log('Per round, ratio of SmtpPool to nodemailer:');
  console.log(rates.SmtpPool.map((r, i) => fmt(r / rates.nodemailer[i], 2)).join(' '));
}
