/**
 * Command-line arguments: node:util's parseArgs, strict, with its errors turned into usage errors,
 * and the readers of the values the commands take.
 * @module
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What parseArgs gives for `options`, strict and with positionals. */
export type Parsed<O extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>
>;

/** Parses `argv` against `options`; an unknown option or a missing or unwanted value is a UsageError. */
export function parseCommandLine<const O extends OptionsConfig>(
  argv: readonly string[],
  options: O,
): Parsed<O> {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) throw error;
    // Node's messages go on with advice for its own API; the first sentence says what is wrong.
    throw new UsageError((error as Error).message.split(/\.(?:\s|$)/)[0]);
  }
}

/** A value as a positive integer. */
export function integer(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) <= 0)
    throw new UsageError(`--${name} needs a positive whole number`);
  return Number(text);
}

/** A value as a TCP port; 0 asks for any free port. */
export function port(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`--${name} needs a port number`);
  return Number(text);
}

/** `HOST:PORT` (IPv6 in brackets). */
export function hostPort(text: string, name: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (m === null || Number(m[3]) > 65535) throw new UsageError(`--${name} needs HOST:PORT`);
  return { host: (m[1] ?? m[2]) as string, port: Number(m[3]) };
}

/** Where to listen: a host and port, or a listening socket the process inherited. */
export type ListenTarget = { host: string; port: number } | { fd: number };

/** `HOST:PORT`, or `fd:N` for a listening socket the process inherited (systemd: `fd:3`). */
export function listenTarget(text: string, name: string): ListenTarget {
  const fd = /^fd:(\d+)$/.exec(text);
  if (fd !== null) return { fd: Number(fd[1]) };
  try {
    return hostPort(text, name);
  } catch {
    throw new UsageError(`--${name} needs HOST:PORT or fd:N`);
  }
}

/** `USER:PASS`; `where` names the flag or file it came from. */
export function credentials(text: string, where: string): { username: string; password: string } {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UsageError(`${where} needs USER:PASS`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}
