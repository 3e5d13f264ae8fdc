/**
 * `esmtp serve`: a development mail server that delivers to a Maildir.
 * @module
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { SmtpError } from '../protocol/errors.js';
import { Replies } from '../protocol/replies.js';
import { replyText } from '../protocol/reply.js';
import { addressList } from '../server/address-list.js';
import type { SessionInfo, SmtpServerOptions } from '../server/options.js';
import { SmtpServer } from '../server/smtp-server.js';
import type { ServerTlsOptions } from '../server/tls.js';
import {
  integer,
  type ListenTarget,
  listenTarget,
  type Parsed,
  parseCommandLine,
  port,
  UsageError,
} from './args.js';
import {
  acceptAnyAuth,
  CATCHER_OPTIONS,
  CATCHER_USAGE,
  type CatcherConfig,
  catcherConfig,
  createEnvelopeDir,
  deliverWithEnvelope,
  startCatcher,
  storedEnvelope,
  withUiDefault,
} from './catcher/index.js';
import { CliLog, flushLog } from './log.js';
import { createMaildir } from './maildir.js';
import { traceHeaders } from './trace.js';
import { readUsers } from './users.js';
import { type Supervision, superviseWorkers, worker, workerCount } from './workers.js';

export const SERVE_USAGE = `usage: esmtp serve [options]

Runs an SMTP server that delivers every message it accepts to a Maildir.

  --listen HOST:PORT        where to listen (default 127.0.0.1:2525); fd:N listens on the socket
                            inherited as descriptor N (systemd socket activation: fd:3)
  --workers N               N processes sharing the port, each replaced if it dies; auto: one
                            per core
  --maildir DIR             deliver to DIR/new (default ./mail, created)
  --no-store                accept and discard messages (for benchmarks)
  --hostname NAME           the server's name in its greeting (default localhost)
  --size BYTES              largest message accepted (default 26214400)
  --max-recipients N        most recipients in one message (default 100)
  --max-connections N       connections at once (default 1000)
  --max-connections-per-address N   connections at once from one address (default 50)
  --lmtp                    speak LMTP instead of SMTP
  --tls-cert FILE           certificate (PEM) for STARTTLS
  --tls-key FILE            its private key (PEM)
  --tls-port PORT           also listen for implicit TLS (port 465 style) on PORT
  --auth USER:PASS          offer AUTH and require it for MAIL; repeat for more users (every
                            user of the machine sees it in ps: prefer --auth-file or ESMTP_AUTH)
  --auth-file FILE          the users for AUTH, one USER:PASS a line
  --allow-insecure-auth     offer AUTH without TLS; AUTH needs --tls-cert and --tls-key otherwise
  --bare-line-ends MODE     reject (default) or normalize messages with a bare CR or LF
  --proxy-protocol CIDR[,CIDR...]   read a PROXY header (v1 or v2) from these load balancers
                            and take the client's address from it; others are clients
  --verbose                 log every connection and every refusal, with its reason
  --trace                   log every command and reply line too (AUTH payloads redacted)
  --log-format FORMAT       text (default) or json: one JSON object per line
  --quiet                   no line per message; only the count when stopping
  -h, --help                show this help${CATCHER_USAGE}
Signals: SIGTERM or SIGINT stops it once open messages are finished, and prints how many were
delivered; SIGHUP reads --tls-cert and --tls-key again (a file that cannot be used keeps the old
certificate).

Environment: ESMTP_AUTH holds users for AUTH too, one USER:PASS a line, as in --auth-file.
`;

const OPTIONS = {
  listen: { type: 'string' },
  workers: { type: 'string' },
  maildir: { type: 'string' },
  'no-store': { type: 'boolean' },
  hostname: { type: 'string' },
  size: { type: 'string' },
  'max-recipients': { type: 'string' },
  'max-connections': { type: 'string' },
  'max-connections-per-address': { type: 'string' },
  lmtp: { type: 'boolean' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-port': { type: 'string' },
  auth: { type: 'string', multiple: true },
  'auth-file': { type: 'string' },
  'allow-insecure-auth': { type: 'boolean' },
  'bare-line-ends': { type: 'string' },
  'proxy-protocol': { type: 'string' },
  verbose: { type: 'boolean' },
  trace: { type: 'boolean' },
  'log-format': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...CATCHER_OPTIONS,
} as const;

type Values = Parsed<typeof OPTIONS>['values'];

/** Where the certificate and its key are read from, at start and again on SIGHUP. */
interface TlsFiles {
  cert: string;
  key: string;
}

/** What a process that serves needs, read from the command line. */
interface Config {
  listen: ListenTarget;
  tlsPort: number | undefined;
  tlsFiles: TlsFiles | undefined;
  options: SmtpServerOptions;
  /** The Maildir, or undefined with --no-store. */
  maildir: string | undefined;
  hostname: string;
  lmtp: boolean;
  quiet: boolean;
  log: CliLog;
  /** The catcher's web page and API (--ui), if asked for. */
  catcher: CatcherConfig | undefined;
}

export async function serve(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(withUiDefault(argv), OPTIONS);
  if (values.help) {
    process.stdout.write(SERVE_USAGE);
    return;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const workers = workerCount(values.workers);
  const format = values['log-format'] ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError('--log-format is text or json');
  const hostname = values.hostname ?? 'localhost';
  const lmtp = values.lmtp === true;
  const tlsFiles = tlsFilesOf(values);
  const config: Config = {
    listen: listenTarget(values.listen ?? '127.0.0.1:2525', 'listen'),
    tlsPort: port(values['tls-port'], 'tls-port'),
    tlsFiles,
    options: serverOptions(values, hostname, lmtp, tlsFiles),
    maildir: values['no-store'] === true ? undefined : resolve(values.maildir ?? 'mail'),
    hostname,
    lmtp,
    quiet: values.quiet === true,
    log: new CliLog(format, 'info'),
    catcher: catcherConfig(values),
  };
  acceptAnyAuth(config.options, values);
  // Each worker would keep its own list of the messages it took, and the page would show one
  // worker's share: the catcher runs in one process.
  if (workers !== undefined && config.catcher !== undefined)
    throw new UsageError('--ui runs in one process: not with --workers');
  // The server's own entries: refusals and connections with --verbose, the wire with --trace.
  // Without either it gets no logger, the fastest path (its failures come as 'error' events).
  if (values.trace || values.verbose)
    config.options.logger = new CliLog(format, values.trace ? 'debug' : 'info');
  if (config.maildir !== undefined) {
    await createMaildir(config.maildir);
    await createEnvelopeDir(config.maildir);
  }

  if (workers === undefined) return run(config, standalone(config.log));
  if (cluster.isPrimary) return superviseWorkers(workers, config.log);
  await run(config, worker()).catch((error: Error) => {
    // The primary sees the exit, and gives up if every worker fails the same way.
    config.log.error({ error }, 'worker not started');
    flushLog();
    process.exit(1);
  });
}

/** Runs the servers until told to stop, then reports how many messages they delivered. */
async function run(config: Config, supervision: Supervision): Promise<void> {
  const { options, maildir, log } = config;
  let delivered = 0;
  const catcher =
    config.catcher === undefined || maildir === undefined
      ? undefined
      : await startCatcher(config.catcher, maildir, (error) => log.error({ error }, 'web page'));
  options.onData = async (message, envelope, session) => {
    const from = envelope.from?.address ?? '';
    const recipients = envelope.recipients.map((r) => r.address.address);
    let size = 0;
    try {
      if (maildir !== undefined) {
        const date = new Date();
        const header = traceHeaders({
          session,
          from,
          recipients,
          hostname: config.hostname,
          id: session.id,
          lmtp: config.lmtp,
          date,
        });
        const stored = await deliverWithEnvelope(maildir, header, message, (name) =>
          storedEnvelope(envelope, session, date, name),
        );
        size = stored.size;
        await catcher?.added(stored.name, stored.envelope);
      } else {
        size = await discard(message);
      }
    } catch (error) {
      // Logged here, with the session; the client is answered as for any failed hook and keeps
      // the message.
      const reason = error instanceof SmtpError ? replyText(error.reply) : (error as Error).message;
      log.warn({ session: session.id, error: reason }, 'not delivered');
      throw error instanceof SmtpError ? error : new SmtpError(Replies.localError);
    }
    delivered++;
    if (config.quiet) return;
    const to = recipients.map((r) => `<${r}>`);
    log.info({ session: session.id, from: `<${from}>`, to, size }, 'delivered');
  };

  const servers: SmtpServer[] = [new SmtpServer(options)];
  if (config.tlsPort !== undefined) servers.push(new SmtpServer({ ...options, secure: true }));
  for (const server of servers)
    server.on('error', (error: Error, session?: SessionInfo) =>
      log.error({ session: session?.id, error }, 'error'),
    );

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void Promise.all(servers.map((s) => s.close({ timeout: 30_000 })))
      .then(() => catcher?.close())
      .then(() => supervision.stopped(delivered));
  };
  supervision.watch(stop, () => reloadCertificate(config, servers));

  let banner =
    maildir !== undefined
      ? `esmtp delivering to ${join(maildir, 'new')}\n`
      : 'esmtp discarding every message (--no-store)\n';
  if (catcher !== undefined) banner += `esmtp web page on ${catcher.url}\n`;
  try {
    banner += await listen(config, servers);
  } catch (error) {
    // The web page, or the server already listening, would keep the process alive with no SMTP.
    await Promise.all(servers.map((s) => s.close({ timeout: 1000 })));
    await catcher?.close();
    throw error;
  }
  supervision.announce(banner);
}

/** Starts the servers listening; resolves with the lines of the banner that say where. */
async function listen(config: Config, servers: readonly SmtpServer[]): Promise<string> {
  const scheme = config.lmtp ? 'lmtp' : 'smtp';
  const main = await (servers[0] as SmtpServer).listen(config.listen);
  // An inherited socket is announced by the address it is bound to; a host as it was given.
  const host = 'fd' in config.listen ? main.address : config.listen.host;
  let lines = `esmtp listening on ${scheme}://${url(host, main.port)}\n`;
  if (config.tlsPort !== undefined) {
    const secure = await (servers[1] as SmtpServer).listen({ host, port: config.tlsPort });
    lines += `esmtp listening on smtps://${url(host, secure.port)}\n`;
  }
  return lines;
}

/** SIGHUP: the certificate and key are read again; a file that cannot be used keeps the old pair. */
function reloadCertificate(config: Config, servers: readonly SmtpServer[]): void {
  const files = config.tlsFiles;
  if (files === undefined) {
    config.log.warn({}, 'no certificate to reload: serving without --tls-cert');
    return;
  }
  try {
    const tls = readTls(files);
    for (const server of servers) server.updateSecureContext(tls);
    config.log.info({ cert: files.cert }, 'certificate reloaded');
  } catch (error) {
    config.log.error({ error }, 'certificate not reloaded, the old one stays');
  }
}

/** A single process: signals stop and reload it, and it prints its own banner and count. */
function standalone(log: CliLog): Supervision {
  return {
    announce: (banner) => process.stdout.write(banner),
    watch(stop, reload) {
      const stopping = () => {
        log.info({}, 'stopping: finishing open messages');
        stop();
      };
      process.once('SIGINT', stopping);
      process.once('SIGTERM', stopping);
      process.on('SIGHUP', reload);
    },
    stopped(delivered) {
      log.info({}, `stopped: ${delivered} messages delivered`);
      flushLog();
      process.exit(0);
    },
  };
}

function tlsFilesOf(values: Values): TlsFiles | undefined {
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError('--tls-cert and --tls-key go together');
  return cert !== undefined && key !== undefined ? { cert, key } : undefined;
}

function readTls(files: TlsFiles): ServerTlsOptions {
  return { cert: readFileSync(files.cert), key: readFileSync(files.key) };
}

function serverOptions(
  values: Values,
  hostname: string,
  lmtp: boolean,
  tlsFiles: TlsFiles | undefined,
): SmtpServerOptions {
  const options: SmtpServerOptions = {
    hostname,
    lmtp,
    limits: {
      messageSize: integer(values.size, 'size'),
      recipients: integer(values['max-recipients'], 'max-recipients'),
      connections: integer(values['max-connections'], 'max-connections'),
      connectionsPerAddress: integer(values['max-connections-per-address'], 'max-connections-per-address'),
    },
  };
  const mode = values['bare-line-ends'];
  if (mode !== undefined) {
    if (mode !== 'reject' && mode !== 'normalize')
      throw new UsageError('--bare-line-ends is reject or normalize');
    options.bareLineEnds = mode;
  }
  const proxies = values['proxy-protocol'];
  if (proxies !== undefined) {
    const trusted = proxies.split(',').map((block) => block.trim());
    try {
      addressList(trusted, '--proxy-protocol');
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    options.proxyProtocol = { trusted };
  }
  if (tlsFiles !== undefined) options.tls = readTls(tlsFiles);
  if (values['tls-port'] !== undefined && options.tls === undefined)
    throw new UsageError('--tls-port needs --tls-cert and --tls-key');
  const passwords = readUsers(values.auth ?? [], values['auth-file']);
  if (passwords.size > 0) {
    // The server offers AUTH only over TLS unless told otherwise: without either, every MAIL
    // would get 530 from a server that offers no way to authenticate.
    if (options.tls === undefined && !values['allow-insecure-auth'])
      throw new UsageError(
        'AUTH is offered only over TLS: give --tls-cert and --tls-key, or --allow-insecure-auth to offer it in cleartext',
      );
    options.requireAuth = true;
    options.allowInsecureAuth = values['allow-insecure-auth'] === true;
    options.auth = {
      authenticate: (c) =>
        c.mechanism !== 'XOAUTH2' && 'password' in c && passwords.get(c.username) === c.password,
    };
  }
  return options;
}

/** Reads a message to its end and drops it; resolves with its size. */
function discard(message: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    let size = 0;
    message.on('data', (chunk: Uint8Array) => {
      size += chunk.length;
    });
    message.once('end', () => resolve(size));
    message.once('error', reject);
  });
}

function url(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
