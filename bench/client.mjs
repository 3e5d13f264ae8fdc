// Client benchmark: messages of 4 KiB over 20 connections to Postfix's smtp-sink, sent by esmtp's
// SmtpClient (one client per connection, sending in turn) and by nodemailer's pooled transport,
// with Postfix's smtp-source as the C reference. Alternating rounds, medians.
//   node bench/client.mjs            the full run
//   node bench/client.mjs --smoke    a few hundred messages; checks delivery only
import os from 'node:os';
import { fmt, median, smtpSource, startServer, table } from './lib.mjs';
import { CONNECTIONS, clientsInTurn, message, nodemailerPool } from './senders.mjs';

const smoke = process.argv.includes('--smoke');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (smoke ? 1 : 5));
const MESSAGES = Number(process.env.BENCH_CLIENT_MESSAGES ?? (smoke ? 400 : 20000));

const contenders = {
  esmtp: (port) => clientsInTurn(port, MESSAGES),
  nodemailer: (port) => nodemailerPool(port, MESSAGES),
  'smtp-source': (port) =>
    smtpSource(port, { sessions: CONNECTIONS, messages: MESSAGES, size: message.length }),
};

console.log(
  `esmtp client bench: ${os.cpus().length} cores, Node ${process.version}, ${ROUNDS} round(s), medians${smoke ? ' (smoke run)' : ''}`,
);
const rates = Object.fromEntries(Object.keys(contenders).map((n) => [n, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(contenders)) {
    const sink = await startServer('smtp-sink');
    const start = process.hrtime.bigint();
    await run(sink.port);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const delivered = await sink.stop();
    if (delivered !== MESSAGES) throw new Error(`${name}: ${delivered} of ${MESSAGES} messages arrived`);
    rates[name].push(MESSAGES / seconds);
  }
}
const rate = (name) => median(rates[name]);
console.log('');
console.log(
  `4. ${MESSAGES} messages of 4 KiB over ${CONNECTIONS} connections to smtp-sink, messages per second`,
);
console.log(
  table(
    ['client', 'msg/s', 'ratio to nodemailer'],
    Object.keys(contenders).map((n) => [n, fmt(rate(n)), fmt(rate(n) / rate('nodemailer'), 2)]),
  ),
);
