import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { findProgram } from './peers.js';

/** Python, which binds the socket in the tests of socket activation. */
export const PYTHON = findProgram(['/usr/bin/python3', 'python3']);

// Binds a listening socket on 127.0.0.1, prints `bound PORT`, and execs the command with the
// socket as descriptor 3: what systemd's socket activation hands a service.
const BIND_AND_EXEC = `
import os, socket, sys
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(128)
print('bound', s.getsockname()[1], flush=True)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.execv(sys.argv[1], sys.argv[1:])
`;

export interface Inherited {
  child: ChildProcess;
  /** The port the other process bound. */
  port: number;
  /** Every line the command printed on stdout so far, the first one `bound PORT`. */
  lines: string[];
  /** What it wrote on stderr so far. */
  stderr: () => string;
  /** Waits, within `ms`, for a stdout line that matches. */
  line: (pattern: RegExp, ms: number) => Promise<RegExpExecArray>;
}

/** Runs `command` with a listening socket bound by another process as its descriptor 3. */
export async function withInheritedSocket(python: string, command: readonly string[]): Promise<Inherited> {
  const child = spawn(python, ['-c', BIND_AND_EXEC, ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const lines: string[] = [];
  const watchers = new Set<() => void>();
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    lines.push(line);
    for (const watcher of watchers) watcher();
  });
  const line = (pattern: RegExp, ms: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        for (const l of lines) {
          const m = pattern.exec(l);
          if (m === null) continue;
          cleanup();
          resolve(m);
          return;
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no line like ${pattern} within ${ms} ms: ${lines.join('\n')}\n${stderr}`));
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        watchers.delete(check);
      };
      watchers.add(check);
      check();
    });
  const bound = await line(/^bound (\d+)$/, 10_000);
  return { child, port: Number(bound[1]), lines, stderr: () => stderr, line };
}
