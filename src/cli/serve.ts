/**
 * `esmtp serve`: a development mail server that delivers to a Maildir.
 * @module
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { SmtpError } from '../protocol/errors.js';
import { Replies } from '../protocol/replies.js';
import { replyText } from '../protocol/reply.js';
import type { SessionInfo, SmtpServerOptions } from '../server/options.js';
import { SmtpServer } from '../server/smtp-server.js';
import { hostPort, integer, type Parsed, parseCommandLine, port, UsageError } from './args.js';
import {
  acceptAnyAuth,
  CATCHER_OPTIONS,
  CATCHER_USAGE,
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

export const SERVE_USAGE = `usage: esmtp serve [options]

Runs an SMTP server that delivers every message it accepts to a Maildir.

  --listen HOST:PORT        where to listen (default 127.0.0.1:2525)
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
  --verbose                 log every connection and every refusal, with its reason
  --trace                   log every command and reply line too (AUTH payloads redacted)
  --log-format FORMAT       text (default) or json: one JSON object per line
  --quiet                   no line per message; only the count when stopping
  -h, --help                show this help
${CATCHER_USAGE}
Environment: ESMTP_AUTH holds users for AUTH too, one USER:PASS a line, as in --auth-file.
`;

const OPTIONS = {
  listen: { type: 'string' },
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
  verbose: { type: 'boolean' },
  trace: { type: 'boolean' },
  'log-format': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...CATCHER_OPTIONS,
} as const;

type Values = Parsed<typeof OPTIONS>['values'];

export async function serve(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(withUiDefault(argv), OPTIONS);
  if (values.help) {
    process.stdout.write(SERVE_USAGE);
    return;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const listen = hostPort(values.listen ?? '127.0.0.1:2525', 'listen');
  const hostname = values.hostname ?? 'localhost';
  const store = values['no-store'] !== true;
  const maildir = resolve(values.maildir ?? 'mail');
  const lmtp = values.lmtp === true;
  const quiet = values.quiet === true;
  const format = values['log-format'] ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError('--log-format is text or json');
  const log = new CliLog(format, 'info');
  let delivered = 0;
  const options = serverOptions(values, hostname, lmtp);
  acceptAnyAuth(options, values);
  const catcherSettings = catcherConfig(values);
  // The server's own entries: refusals and connections with --verbose, the wire with --trace.
  // Without either it gets no logger, the fastest path (its failures come as 'error' events).
  if (values.trace || values.verbose) options.logger = new CliLog(format, values.trace ? 'debug' : 'info');
  if (store) {
    await createMaildir(maildir);
    await createEnvelopeDir(maildir);
  }
  const catcher =
    catcherSettings === undefined
      ? undefined
      : await startCatcher(catcherSettings, maildir, (error) => log.error({ error }, 'web page'));

  options.onData = async (message, envelope, session) => {
    const from = envelope.from?.address ?? '';
    const recipients = envelope.recipients.map((r) => r.address.address);
    let size = 0;
    try {
      if (store) {
        const date = new Date();
        const header = traceHeaders({
          session,
          from,
          recipients,
          hostname,
          id: session.id,
          lmtp,
          date,
        });
        const stored = await deliverWithEnvelope(maildir, header, message, (n) =>
          storedEnvelope(envelope, session, date, n),
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
    if (quiet) return;
    const to = recipients.map((r) => `<${r}>`);
    log.info({ session: session.id, from: `<${from}>`, to, size }, 'delivered');
  };

  const servers: SmtpServer[] = [new SmtpServer(options)];
  const tlsPort = port(values['tls-port'], 'tls-port');
  if (tlsPort !== undefined) servers.push(new SmtpServer({ ...options, secure: true }));
  for (const server of servers)
    server.on('error', (error: Error, session?: SessionInfo) =>
      log.error({ session: session?.id, error }, 'error'),
    );

  process.stdout.write(
    store ? `esmtp delivering to ${join(maildir, 'new')}\n` : 'esmtp discarding every message (--no-store)\n',
  );
  if (catcher !== undefined) process.stdout.write(`esmtp web page on ${catcher.url}\n`);
  const scheme = lmtp ? 'lmtp' : 'smtp';
  const main = await (servers[0] as SmtpServer).listen(listen);
  process.stdout.write(`esmtp listening on ${scheme}://${url(listen.host, main.port)}\n`);
  if (tlsPort !== undefined) {
    const secure = await (servers[1] as SmtpServer).listen({ host: listen.host, port: tlsPort });
    process.stdout.write(`esmtp listening on smtps://${url(listen.host, secure.port)}\n`);
  }

  const stop = async () => {
    log.info({}, 'stopping: finishing open messages');
    await Promise.all(servers.map((s) => s.close({ timeout: 30_000 })));
    await catcher?.close();
    log.info({}, `stopped: ${delivered} messages delivered`);
    flushLog();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function serverOptions(values: Values, hostname: string, lmtp: boolean): SmtpServerOptions {
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
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError('--tls-cert and --tls-key go together');
  if (cert !== undefined && key !== undefined)
    options.tls = { cert: readFileSync(cert), key: readFileSync(key) };
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
