// Shared pieces of the server and client benchmarks: starting each contender as its own process
// (so that its peak memory can be read), running Postfix's smtp-source, medians and tables.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..');

export const SMTP_SOURCE = ['/usr/sbin/smtp-source'].find((p) => existsSync(p));
export const SMTP_SINK = ['/usr/sbin/smtp-sink'].find((p) => existsSync(p));
export const PYTHON = ['/usr/bin/python3'].find((p) => existsSync(p));

export function freePort() {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Peak resident memory of a process so far, in MB (Linux: VmHWM). */
export function peakRssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU time a process has used so far, user and system, in seconds (Linux: /proc/PID/stat, in
 * clock ticks of 1/100 s). Steadier than a rate on a shared machine: time spent waiting for a
 * core does not count.
 */
export function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** The process and its children (a primary's workers), by pid (Linux: /proc/PID/task/PID/children). */
function family(pid) {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return [pid, ...(children === '' ? [] : children.split(' ').map(Number))];
  } catch {
    return [pid];
  }
}

/** The servers to measure, each a command that listens on PORT and counts what it receives. */
export const SERVERS = {
  esmtp: {
    command: (port) => [
      process.execPath,
      // The many-connections workload comes from one address, and one message is 1 GiB: lift those limits.
      [
        join(root, 'dist/cli.js'),
        'serve',
        '--no-store',
        '--listen',
        `127.0.0.1:${port}`,
        ...['--max-connections', '5000', '--max-connections-per-address', '5000', '--size', '4294967296'],
        // Like the smtp-server sink: no line per message, the count when stopped.
        '--quiet',
      ],
    ],
    ready: /^esmtp listening/,
    count: (out) => Number(/stopped: (\d+) messages delivered/.exec(out.stderr)?.[1] ?? 0),
  },
  'smtp-server': {
    command: (port) => [process.execPath, [join(here, 'peers/smtp-server-sink.mjs'), String(port)]],
    ready: /^listening/,
    count: (out) => Number(/delivered (\d+)/.exec(out.stdout)?.[1] ?? 0),
  },
  aiosmtpd: {
    command: (port) => [PYTHON, [join(here, 'peers/aiosmtpd_sink.py'), String(port)]],
    ready: /^listening/,
    count: (out) => Number(/delivered (\d+)/.exec(out.stdout)?.[1] ?? 0),
    needs: () => PYTHON,
  },
  // Not servers: what Node's sockets alone cost (see the file).
  'node floor': {
    command: (port) => [process.execPath, [join(here, 'peers/node-floor.mjs'), String(port)]],
    ready: /^listening/,
    count: (out) => Number(/delivered (\d+)/.exec(out.stdout)?.[1] ?? 0),
  },
  'node floor, one read buffer': {
    command: (port) => [
      process.execPath,
      [join(here, 'peers/node-floor.mjs'), String(port), '--reuse-read-buffer'],
    ],
    ready: /^listening/,
    count: (out) => Number(/delivered (\d+)/.exec(out.stdout)?.[1] ?? 0),
  },
  'smtp-sink': {
    command: (port) => [
      SMTP_SINK,
      [...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), '-c', `127.0.0.1:${port}`, '1024'],
    ],
    ready: null, // prints nothing until the first message: wait for the port instead
    // -c prints running counters ("sess=2 quit=2 mesg=5") as it goes; the last one is the total.
    count: (out) => Number([...out.stdout.matchAll(/mesg=(\d+)/g)].at(-1)?.[1] ?? 0),
    needs: () => SMTP_SINK,
  },
};

// esmtp serve --workers N: the primary and N workers (startServer adds up their CPU and peak RSS).
for (const n of [1, 2]) {
  const single = SERVERS.esmtp;
  SERVERS[`esmtp, ${n} worker${n === 1 ? '' : 's'}`] = {
    ...single,
    command: (port) => {
      const [program, args] = single.command(port);
      return [program, [...args, '--workers', String(n)]];
    },
  };
}

// BENCH_BEFORE=DIR, another build's dist/ directory, adds 'esmtp before': that build's `esmtp
// serve`, run in the same alternating rounds as the rest, to measure a change before and after.
export const BEFORE = process.env.BENCH_BEFORE;
if (BEFORE !== undefined) {
  SERVERS['esmtp before'] = {
    ...SERVERS.esmtp,
    command: (port) => {
      const [program, [, ...args]] = SERVERS.esmtp.command(port);
      return [program, [join(BEFORE, 'cli.js'), ...args]];
    },
  };
}

/** Starts a server contender; resolves once it accepts connections. */
export async function startServer(name) {
  const spec = SERVERS[name];
  if (spec.needs !== undefined && spec.needs() === undefined) throw new Error(`${name} is not installed`);
  const port = await freePort();
  const [cmd, args] = spec.command(port);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => {
    out.stdout += d;
  });
  child.stderr.on('data', (d) => {
    out.stderr += d;
  });
  if (spec.ready !== null) {
    await new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${out.stderr}`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (spec.ready.test(line)) resolve();
      });
    });
  } else await waitForPort(port, child, out);
  return {
    name,
    port,
    pid: child.pid,
    peakRssMb: () => family(child.pid).reduce((sum, pid) => sum + peakRssMb(pid), 0),
    cpuSeconds: () => family(child.pid).reduce((sum, pid) => sum + cpuSeconds(pid), 0),
    /** Stops it and resolves with how many messages it received. */
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve(spec.count(out)));
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Waits until something accepts connections on `port`, trying to connect: a probe that binds the
 * port to see whether it is taken could take it from the server starting at that moment. Fails at
 * once if the server exits.
 */
async function waitForPort(port, child, out) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${out.stderr}`);
    const open = await new Promise((resolve) => {
      const probe = connect(port, '127.0.0.1');
      probe.once('connect', () => {
        probe.destroy();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** Runs smtp-source; resolves with the seconds it took. */
export function smtpSource(port, { sessions, messages, size }) {
  if (SMTP_SOURCE === undefined) throw new Error("Postfix's smtp-source is not installed");
  const args = [
    '-s',
    String(sessions),
    '-m',
    String(messages),
    '-l',
    String(size),
    '-d',
    '-f',
    'alice@example.com',
    '-t',
    'bob@example.org',
    `127.0.0.1:${port}`,
  ];
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile(SMTP_SOURCE, args, { maxBuffer: 1 << 24 }, (error, _stdout, stderr) => {
      if (error !== null) reject(new Error(`smtp-source failed: ${stderr || error.message}`));
      else resolve(Number(process.hrtime.bigint() - start) / 1e9);
    });
  });
}

export function table(headers, rows) {
  const lines = [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

export const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/**
 * Runs `work` against each contender in turn, `count` times (A B C A B C ...), and checks that
 * every message arrived. Per contender: the rates, peak RSS and CPU µs per message of each round.
 */
export async function rounds(count, contenders, work) {
  const results = Object.fromEntries(contenders.map((c) => [c, { rates: [], rss: [], cpu: [] }]));
  for (let round = 0; round < count; round++) {
    for (const name of contenders) {
      const server = await startServer(name);
      const idle = server.cpuSeconds(); // starting up is not part of the work
      const { count: messages, seconds } = await work(server);
      const rss = server.peakRssMb();
      const cpu = server.cpuSeconds() - idle;
      const delivered = await server.stop();
      if (delivered !== messages) throw new Error(`${name}: ${delivered} of ${messages} messages arrived`);
      results[name].rates.push(messages / seconds);
      results[name].rss.push(rss);
      results[name].cpu.push((cpu / messages) * 1e6);
    }
  }
  return results;
}

/**
 * `connections` connections at once from this process, each sending `perConnection` messages of
 * 1000 octets in lock-step; resolves when every one has said QUIT.
 */
export function manyConnections(port, connections, perConnection) {
  const body = `Subject: many\r\n\r\n${'x'.repeat(1000)}\r\n.\r\n`;
  const one = () =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let buffer = '';
      let sent = 0;
      let step = 0; // replies still awaited before the next command
      const script = [];
      for (let i = 0; i < perConnection; i++) {
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
  return Promise.all(Array.from({ length: connections }, one));
}
