/**
 * The catcher's flags of `esmtp serve`: --ui, --ui-allow-host, --max-messages, --auth-any and
 * --release-to.
 * @module
 */
import type { SmtpServerOptions } from '../../server/options.js';
import { hostPort, integer, UsageError } from '../args.js';
import { parseReleaseTarget, type ReleaseTarget } from './release.js';

export const CATCHER_OPTIONS = {
  ui: { type: 'string' },
  'ui-allow-host': { type: 'string', multiple: true },
  'max-messages': { type: 'string' },
  'auth-any': { type: 'boolean' },
  'release-to': { type: 'string' },
} as const;

export const CATCHER_USAGE = `
Mail catcher (docs/catcher.md):
  --ui [[HOST:]PORT]        serve a web page and a JSON API of the messages (default
                            127.0.0.1:8025; HOST is 127.0.0.1 unless given)
  --ui-allow-host NAME      with --ui: answer requests for this host name too (IP addresses,
                            localhost and the --ui host always are); repeat for more names
  --max-messages N          with --ui: keep the newest N messages, deleting older ones
  --auth-any                offer AUTH and accept any user name and password (over TLS, or
                            with --allow-insecure-auth in cleartext); AUTH stays optional
  --release-to URL          with --ui: let the page and API send a message on to this server,
                            to its own recipients, smtp://[USER:PASS@]HOST[:PORT] or smtps://...
`;

/** Where the page is when --ui names no place. */
export const DEFAULT_UI = '127.0.0.1:8025';

/**
 * `--ui` may come without its value (last, or before another option): it then means DEFAULT_UI.
 * parseArgs has no optional values, so the default is put in before it reads the line.
 */
export function withUiDefault(argv: readonly string[]): string[] {
  return argv.flatMap((arg, i) => {
    const next = argv[i + 1];
    return arg === '--ui' && (next === undefined || next.startsWith('-')) ? [arg, DEFAULT_UI] : [arg];
  });
}

interface CatcherValues {
  ui?: string | undefined;
  'ui-allow-host'?: string[] | undefined;
  'max-messages'?: string | undefined;
  'auth-any'?: boolean | undefined;
  'release-to'?: string | undefined;
  'no-store'?: boolean | undefined;
  auth?: string[] | undefined;
  'auth-file'?: string | undefined;
  'allow-insecure-auth'?: boolean | undefined;
}

export interface CatcherConfig {
  listen: { host: string; port: number };
  /** Host names the page and the API answer to besides IP addresses, localhost and the listen host. */
  allowHosts: string[];
  maxMessages: number | undefined;
  releaseTo: ReleaseTarget | undefined;
}

/** The catcher's settings, or undefined without --ui; a flag that needs --ui without it is an error. */
export function catcherConfig(values: CatcherValues): CatcherConfig | undefined {
  if (values.ui === undefined) {
    for (const flag of ['max-messages', 'release-to', 'ui-allow-host'] as const)
      if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --ui`);
    return undefined;
  }
  if (values['no-store']) throw new UsageError('--ui shows the messages it stores: not with --no-store');
  const ui = values.ui;
  return {
    listen: /^\d+$/.test(ui) ? hostPort(`127.0.0.1:${ui}`, 'ui') : hostPort(ui, 'ui'),
    allowHosts: (values['ui-allow-host'] ?? []).map(hostName),
    maxMessages: integer(values['max-messages'], 'max-messages'),
    releaseTo: values['release-to'] === undefined ? undefined : parseReleaseTarget(values['release-to']),
  };
}

/** A name for --ui-allow-host: letters, digits, hyphens, dots and underscores (as compose services have). */
function hostName(name: string): string {
  if (!/^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/i.test(name))
    throw new UsageError(`--ui-allow-host takes a host name, not ${JSON.stringify(name)}`);
  return name.toLowerCase();
}

/** --auth-any: AUTH offered, any credentials accepted, and not required (as a catcher should). */
export function acceptAnyAuth(options: SmtpServerOptions, values: CatcherValues): void {
  if (!values['auth-any']) return;
  if (values.auth !== undefined || values['auth-file'] !== undefined || options.auth !== undefined)
    throw new UsageError('--auth-any accepts everyone: not with --auth, --auth-file or ESMTP_AUTH');
  if (options.tls === undefined && !values['allow-insecure-auth'])
    throw new UsageError(
      'AUTH is offered only over TLS: give --tls-cert and --tls-key, or --allow-insecure-auth to offer it in cleartext',
    );
  options.allowInsecureAuth = values['allow-insecure-auth'] === true;
  options.auth = { authenticate: () => true };
}
