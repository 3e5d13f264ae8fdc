// esmtp serve --workers: one process against a primary with one and with two workers, on the
// small-message and many-connections workloads of bench/servers.mjs, smtp-server as the reference,
// in alternating rounds.
//   node bench/workers.mjs            the full run (see bench/README.md)
//   node bench/workers.mjs --smoke    a few messages of each workload; checks delivery only
//   node bench/workers.mjs small      only the workloads named (small, many)
import os from 'node:os';
import { fmt, manyConnections, median, rounds, smtpSource, table } from './lib.mjs';

const smoke = process.argv.includes('--smoke');
const named = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const wanted = (workload) => named.length === 0 || named.includes(workload);
const env = (name, full, small) => Number(process.env[name] ?? (smoke ? small : full));
const ROUNDS = env('BENCH_ROUNDS', 5, 1);
const SMALL = env('BENCH_SMALL_MESSAGES', 20000, 200);
const CONNECTIONS = env('BENCH_CONNECTIONS', 1000, 50);
const PER_CONNECTION = env('BENCH_PER_CONNECTION', 10, 2);

const contenders = ['esmtp', 'esmtp, 1 worker', 'esmtp, 2 workers', 'smtp-server'];

console.log(
  `esmtp --workers bench: ${os.availableParallelism()} cores, Node ${process.version}, ${ROUNDS} round(s), medians${smoke ? ' (smoke run)' : ''}`,
);
console.log(
  `load average at the start: ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);

const small =
  wanted('small') &&
  (await rounds(ROUNDS, contenders, async (s) => ({
    count: SMALL,
    seconds: await smtpSource(s.port, { sessions: 20, messages: SMALL, size: 4096 }),
  })));
const many =
  wanted('many') &&
  (await rounds(ROUNDS, contenders, async (s) => {
    const start = process.hrtime.bigint();
    await manyConnections(s.port, CONNECTIONS, PER_CONNECTION);
    return { count: CONNECTIONS * PER_CONNECTION, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
  }));

/** One row per contender: its rate, its rate over one esmtp process's, CPU and memory. */
function report(title, results) {
  const rate = (name) => median(results[name].rates);
  console.log('');
  console.log(title);
  console.log(
    table(
      ['server', 'msg/s', 'ratio to one process', 'ratio to smtp-server', 'CPU µs/msg', 'peak RSS MB'],
      contenders.map((n) => [
        n,
        fmt(rate(n)),
        fmt(rate(n) / rate('esmtp'), 2),
        fmt(rate(n) / rate('smtp-server'), 2),
        fmt(median(results[n].cpu)),
        fmt(median(results[n].rss)),
      ]),
    ),
  );
}
if (small) report(`1. ${SMALL} messages of 4 KiB over 20 sessions (smtp-source)`, small);
if (many) report(`3. ${CONNECTIONS} connections at once, ${PER_CONNECTION} messages each`, many);
console.log(
  `load average at the end: ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
