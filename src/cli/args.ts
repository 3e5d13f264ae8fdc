/**
 * A small command-line flag parser: `--name value`, `--name=value`, boolean `--name`, repeatable
 * flags, and positional arguments. Unknown or malformed flags are usage errors.
 * @module
 */

export interface FlagSpec {
  /** Takes a value (`--listen 127.0.0.1:2525`). */
  value?: boolean;
  /** May be given more than once; its values are collected. */
  repeat?: boolean;
}

export interface ParsedArgs {
  flags: Map<string, string[]>;
  positional: string[];
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, FlagSpec>>): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-' || !arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const flag = spec[name];
    if (flag === undefined) throw new UsageError(`unknown flag --${name}`);
    let value = 'true';
    if (flag.value) {
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        const next = argv[++i];
        if (next === undefined) throw new UsageError(`--${name} needs a value`);
        value = next;
      }
    } else if (eq >= 0) throw new UsageError(`--${name} takes no value`);
    const values = flags.get(name) ?? [];
    if (values.length > 0 && !flag.repeat) throw new UsageError(`--${name} given twice`);
    values.push(value);
    flags.set(name, values);
  }
  return { flags, positional };
}

/** The one value of a flag, or undefined. */
export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.[0];
}

/** A flag's value as a positive integer. */
export function integer(args: ParsedArgs, name: string): number | undefined {
  const text = flag(args, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) <= 0)
    throw new UsageError(`--${name} needs a positive whole number`);
  return Number(text);
}

/** A flag's value as a TCP port; 0 asks for any free port. */
export function port(args: ParsedArgs, name: string): number | undefined {
  const text = flag(args, name);
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

/** `USER:PASS`. */
export function credentials(text: string, name: string): { username: string; password: string } {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UsageError(`--${name} needs USER:PASS`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}
