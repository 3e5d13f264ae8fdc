import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(import.meta.dirname, '..', '..');
export const CLI = join(root, 'dist', 'cli.js');

export interface RunningServe {
  port: number;
  /** The implicit TLS port, when --tls-port was given. */
  tlsPort: number | undefined;
  maildir: string;
  /** What the server logged on stderr so far. */
  log: () => string;
  /** What it printed on stdout so far (the banner). */
  stdout: () => string;
  /** The delivered messages, oldest first. */
  messages: () => string[];
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  /** Waits, within `ms`, for it to exit without being signalled; resolves with its exit status. */
  exited: (ms: number) => Promise<number | null>;
  child: ChildProcess;
}

export interface ServeOptions {
  /** Added to the environment it runs in. */
  env?: NodeJS.ProcessEnv;
  /** The largest file it may write, in 512-octet blocks (ulimit -f): a write past it fails with EFBIG. */
  fileSizeLimit?: number;
}

/** Starts `esmtp serve` with `args` on a free port and a fresh Maildir; resolves once it listens. */
export async function startServe(args: string[] = [], options: ServeOptions = {}): Promise<RunningServe> {
  const maildir = join(mkdtempSync(join(tmpdir(), 'esmtp-serve-')), 'mail');
  const command = [CLI, 'serve', '--listen', '127.0.0.1:0', '--maildir', maildir, ...args];
  // The shell sets the limit, ignores SIGXFSZ (so that writes fail instead of killing), and execs.
  const limited = (blocks: number) =>
    [
      '/bin/sh',
      ['-c', `trap '' XFSZ; ulimit -f ${blocks}; exec "$0" "$@"`, process.execPath, ...command],
    ] as const;
  const [program, programArgs] =
    options.fileSizeLimit === undefined ? [process.execPath, command] : limited(options.fileSizeLimit);
  const child = spawn(program, programArgs, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let log = '';
  child.stderr?.on('data', (d) => {
    log += String(d);
  });
  let stdout = '';
  const ports: number[] = [];
  const wanted = args.includes('--tls-port') ? 2 : 1;
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`esmtp serve exited with ${code}: ${log}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      stdout += `${line}\n`;
      const m = /^esmtp listening on \w+:\/\/127\.0\.0\.1:(\d+)$/.exec(line);
      if (m !== null) ports.push(Number(m[1]));
      if (ports.length === wanted) resolve();
    });
  });
  return {
    port: ports[0] as number,
    tlsPort: ports[1],
    maildir,
    log: () => log,
    stdout: () => stdout,
    messages: () =>
      (existsSync(join(maildir, 'new')) ? readdirSync(join(maildir, 'new')) : [])
        .sort((a, b) => deliveryOrder(a) - deliveryOrder(b))
        .map((f) => readFileSync(join(maildir, 'new', f), 'latin1')),
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
    exited: (ms) => exited(child, ms, () => log),
    child,
  };
}

/** Waits, within `ms`, for `child` to exit; resolves with its exit status. */
export function exited(
  child: ChildProcess,
  ms: number,
  log: () => string = () => '',
): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error(`still running after ${ms} ms: ${log()}`)), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

export interface SendOutcome {
  status: number;
  json: {
    accepted: string[];
    rejected: { address: string; reply: string }[];
    reply: string | null;
    error?: string;
  };
  stderr: string;
}

/** Runs `esmtp send` with `args`, the message on stdin. */
export function runSend(args: string[], message: string): Promise<SendOutcome> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, 'send', ...args], (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({
        status,
        json: stdout.trim() === '' ? ({} as SendOutcome['json']) : JSON.parse(stdout),
        stderr,
      });
    });
    child.stdin?.end(message);
  });
}

/** One server process numbers its deliveries (`Q<n>` in the Maildir name): their order. */
function deliveryOrder(name: string): number {
  return Number(/Q(\d+)/.exec(name)?.[1] ?? 0);
}

/** The message as delivered, without the two trace headers the server prepends. */
export function withoutTrace(delivered: string): string {
  return delivered.replace(/^Return-Path: [^\r\n]*\r\nReceived: [^\r\n]*\r\n(?:\t[^\r\n]*\r\n)*/, '');
}

/** `esmtp send` arguments for a cleartext send to a port on 127.0.0.1. */
export function plainSend(port: number, from: string, ...to: string[]): string[] {
  return [
    '--server',
    `smtp://127.0.0.1:${port}`,
    '--tls',
    'none',
    '--from',
    from,
    ...to.flatMap((t) => ['--to', t]),
  ];
}
