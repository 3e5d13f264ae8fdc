// The protocol core's speed: the DATA dot-unstuffer against a bare LF scan of the same bytes, and
// the command parser on MAIL and RCPT lines. Runs the built package: `npm run bench`.
// Rounds alternate between the contenders so that drift on a shared machine cancels out; the
// figures are medians.
import os from 'node:os';
import { DotUnstuffer, parseCommand, parseCommandLine } from '../dist/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const BODY_MIB = Number(process.env.BENCH_BODY_MIB ?? 64);
const CHUNK = 64 * 1024; // what a socket read typically delivers
const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const DISTINCT_LINES = 10_000; // cycled: a parser sees each line once and drops it; a million live strings would measure the GC

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(fn) {
  const start = process.hrtime.bigint();
  const result = fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, result };
}

/** A body of 76-character lines (plus CRLF), every 50th starting with a stuffed dot, then CRLF.CRLF. */
function makeBody(mib) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const size = mib * 1024 * 1024;
  const body = new Uint8Array(size + 3);
  let at = 0;
  for (let line = 0; at + 78 <= size; line++) {
    for (let i = 0; i < 76; i++) body[at + i] = alphabet.charCodeAt((line * 7 + i) % 64);
    if (line % 50 === 0) body[at] = 46;
    body[at + 76] = 13;
    body[at + 77] = 10;
    at += 78;
  }
  body.set([46, 13, 10], at);
  return { body: body.subarray(0, at + 3), chunks: split(body.subarray(0, at + 3)) };
}

function split(bytes) {
  const chunks = [];
  for (let i = 0; i < bytes.length; i += CHUNK) chunks.push(bytes.subarray(i, i + CHUNK));
  return chunks;
}

function scanLf(chunks) {
  let lines = 0;
  for (const chunk of chunks) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return lines;
}

function unstuff(chunks) {
  const unstuffer = new DotUnstuffer();
  let bytes = 0;
  const emit = (b) => {
    bytes += b.length;
  };
  for (const chunk of chunks) {
    if (unstuffer.push(chunk, emit) >= 0) break;
  }
  return bytes;
}

function makeCommandLines(n) {
  const lines = [];
  for (let i = 0; i < n; i++) {
    lines.push(
      i % 4 === 0
        ? `MAIL FROM:<sender${i % 1000}@example.com> SIZE=${4096 + (i % 100)} BODY=8BITMIME`
        : `RCPT TO:<recipient.${i % 997}@mail${i % 13}.example.org>`,
    );
  }
  return lines;
}

function parseStrings(lines) {
  let n = 0;
  for (let i = 0; i < LINES; i++) if (parseCommand(lines[i % lines.length]).verb !== 'UNKNOWN') n++;
  return n;
}

function parseBytes(lines) {
  let n = 0;
  for (let i = 0; i < LINES; i++) if (parseCommandLine(lines[i % lines.length]).verb !== 'UNKNOWN') n++;
  return n;
}

const { body, chunks } = makeBody(BODY_MIB);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const lineBytes = makeCommandLines(DISTINCT_LINES).map((l) => encoder.encode(l));
// Strings as a server has them: decoded from the bytes it read (flat, not built by concatenation).
const lines = lineBytes.map((b) => decoder.decode(b));

const scanRates = [];
const unstuffRates = [];
const stringRates = [];
const byteRates = [];
for (let round = 0; round < ROUNDS; round++) {
  // A B A B: each round measures every contender once, in turn.
  const scan = time(() => scanLf(chunks));
  const un = time(() => unstuff(chunks));
  if (un.result !== body.length - 3 - Math.ceil((body.length - 3) / 78 / 50))
    throw new Error('unstuffer lost bytes');
  scanRates.push(body.length / scan.seconds);
  unstuffRates.push(body.length / un.seconds);
  stringRates.push(LINES / time(() => parseStrings(lines)).seconds);
  byteRates.push(LINES / time(() => parseBytes(lineBytes)).seconds);
}

const mb = (bytesPerSecond) => `${(bytesPerSecond / 1e6).toFixed(0)} MB/s`;
const scanMedian = median(scanRates);
const unstuffMedian = median(unstuffRates);
const ratio = unstuffMedian / scanMedian;
const stringMedian = median(stringRates);
const byteMedian = median(byteRates);

console.log(
  `esmtp protocol bench: ${os.cpus().length} cores, Node ${process.version}, ${ROUNDS} rounds, medians`,
);
console.log('');
console.log('| workload | figure | target |');
console.log('| --- | --- | --- |');
console.log(`| LF scan (indexOf), ${BODY_MIB} MiB of 76-character lines | ${mb(scanMedian)} | reference |`);
console.log(`| DotUnstuffer, same bytes | ${mb(unstuffMedian)} | |`);
console.log(`| ratio unstuffer / scan | ${ratio.toFixed(2)} | >= 0.50 |`);
console.log(`| parseCommand, MAIL/RCPT strings | ${(stringMedian / 1e6).toFixed(2)} M lines/s | >= 1.00 |`);
console.log(`| parseCommandLine, MAIL/RCPT bytes | ${(byteMedian / 1e6).toFixed(2)} M lines/s | >= 1.00 |`);
