/**
 * `esmtp serve`'s log on stderr: one line per event, as text (`esmtp: delivered id=... size=...`)
 * or, with `--log-format json`, one JSON object per line for log shippers. It is a `Logger`, so the
 * server's own entries (connections, refusals, the wire) come out the same way.
 * @module
 */
import type { Logger } from '../tracing/logger.js';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export class CliLog implements Logger {
  constructor(
    private readonly format: LogFormat,
    private readonly level: LogLevel,
  ) {}

  isLevelEnabled(level: string): boolean {
    return ORDER[level as LogLevel] >= ORDER[this.level];
  }

  debug(fields: object, message: string): void {
    this.write('debug', fields, message);
  }
  info(fields: object, message: string): void {
    this.write('info', fields, message);
  }
  warn(fields: object, message: string): void {
    this.write('warn', fields, message);
  }
  error(fields: object, message: string): void {
    this.write('error', fields, message);
  }

  private write(level: LogLevel, fields: object, message: string): void {
    if (!this.isLevelEnabled(level)) return;
    if (this.format === 'json') {
      const entry = { time: new Date().toISOString(), level, msg: message, ...plain(fields) };
      append(`${JSON.stringify(entry)}\n`);
    } else append(`esmtp: ${message}${text(fields)}\n`);
  }
}

/** Field values as they go into JSON: an error as its message. */
function plain(fields: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) out[key] = value instanceof Error ? value.message : value;
  }
  return out;
}

/** ` id=... key=value ...`: the session first, free text (an error) last. */
function text(fields: object): string {
  const { session, error, ...rest } = plain(fields);
  let out = session === undefined ? '' : ` id=${String(session)}`;
  for (const [key, value] of Object.entries(rest)) {
    out += ` ${key}=${Array.isArray(value) ? value.join(',') : String(value)}`;
  }
  return error === undefined ? out : `${out} error=${String(error)}`;
}

// Writes to a pipe or a file are synchronous in Node: one system call per message line would
// cost more than the message itself under load. Lines are gathered and written once per turn of
// the event loop, still one line per event.
let pending = '';

function append(line: string): void {
  if (pending === '') setImmediate(flushLog);
  pending += line;
}

/** Writes what is gathered now (before the process exits). */
export function flushLog(): void {
  const text = pending;
  pending = '';
  if (text !== '') process.stderr.write(text);
}
