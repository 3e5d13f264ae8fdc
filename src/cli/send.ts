/**
 * `esmtp send`: sends one message from a file or stdin with SmtpClient, and prints the outcome as JSON.
 * @module
 */
import { readFileSync } from 'node:fs';
import { SmtpClient, type SmtpClientOptions } from '../client/smtp-client.js';
import { SmtpError } from '../protocol/errors.js';
import { replyText } from '../protocol/reply.js';
import { credentials, integer, parseCommandLine, port, UsageError } from './args.js';
import { type MessageFile, openMessageFile } from './message-file.js';
import { dnsServer, sendToMx } from './send-mx.js';

export const SEND_USAGE = `usage: esmtp send --server URL --from ADDR --to ADDR [--to ADDR ...] [options] [FILE | -]
       esmtp send --mx --from ADDR --to ADDR [--to ADDR ...] [options] [FILE | -]

Sends the message in FILE (or on stdin) and prints the outcome as one JSON object. The size of
FILE is declared (SIZE=): a message larger than the server takes is refused before it is sent.

  --server URL              smtp://host[:port], smtps://host[:port] or lmtp://host:port
  --mx                      no server: deliver to each recipient domain's MX hosts (read into
                            memory, 25 MiB at most); prints {"recipients": [...]}, each
                            delivered, deferred or failed
  --dns-server IP[:PORT]    with --mx: ask this DNS server (repeat for more); default the system's
  --port PORT               with --mx: the MX hosts' port (default 25)
  --mta-sts                 with --mx: apply the domains' MTA-STS policies (RFC 8461)
  --from ADDR               the sender ('' for the null sender)
  --to ADDR                 a recipient; repeat for more
  --tls MODE                required, opportunistic (default) or none
  --ca FILE                 trust the CA certificates in FILE (PEM)
  --insecure                do not verify the server's certificate
  --auth USER:PASS          authenticate
  --allow-insecure-auth     allow AUTH without TLS
  --lmtp                    speak LMTP (as with an lmtp:// URL)
  --helo NAME               the name for EHLO
  --timeout SECONDS         per command, and for the reply to the message (default 60)
  -h, --help                show this help

Exit status: 0 when every recipient was accepted, 1 when any was refused, the send failed or
FILE cannot be read, 2 for usage errors. With --mx: 0 when every recipient was delivered, 1 when
any failed (a 5xx, a null MX, no such domain), 75 when none failed but some were deferred (try
again later).
`;

const OPTIONS = {
  server: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string', multiple: true },
  tls: { type: 'string' },
  ca: { type: 'string' },
  insecure: { type: 'boolean' },
  auth: { type: 'string' },
  'allow-insecure-auth': { type: 'boolean' },
  lmtp: { type: 'boolean' },
  helo: { type: 'string' },
  timeout: { type: 'string' },
  mx: { type: 'boolean' },
  'dns-server': { type: 'string', multiple: true },
  port: { type: 'string' },
  'mta-sts': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The options that only go with --server, and those that only go with --mx. */
const SERVER_ONLY = ['server', 'auth', 'allow-insecure-auth', 'lmtp', 'insecure'] as const;
const MX_ONLY = ['dns-server', 'port', 'mta-sts'] as const;

/** The --server URL; without its scheme, a usage error that shows the form. */
function serverUrl(text: string, lmtp: boolean): string {
  if (!/^(?:smtps?|lmtp):\/\//i.test(text)) {
    const hint = /^[a-z][\w+.-]*:\/\//i.test(text) ? '' : ` (smtp://${text}?)`;
    throw new UsageError(
      `--server needs a URL: smtp://HOST[:PORT], smtps://HOST[:PORT] or lmtp://HOST:PORT${hint}`,
    );
  }
  return lmtp ? text.replace(/^smtp:/i, 'lmtp:') : text;
}

/** Every wait of a send, `seconds` long. */
function timeouts(seconds: number) {
  const ms = seconds * 1000;
  return { command: ms, data: ms, greeting: ms, connect: ms, dns: ms };
}

/** The message: FILE, or stdin when there is none or it is `-`. */
function messageOf(file: string | undefined): Promise<MessageFile> | MessageFile {
  return file === undefined || file === '-'
    ? { stream: process.stdin, size: undefined }
    : openMessageFile(file);
}

/** Sends, prints the JSON outcome, and returns the exit status. */
export async function send(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(SEND_USAGE);
    return 0;
  }
  const { server, from, to = [], ca, auth, helo } = values;
  if (positionals.length > 1) throw new UsageError('one message file at most');
  const tls = values.tls ?? 'opportunistic';
  if (tls !== 'required' && tls !== 'opportunistic' && tls !== 'none')
    throw new UsageError('--tls is required, opportunistic or none');
  const seconds = integer(values.timeout, 'timeout') ?? 60;
  if (values.mx) {
    const wrong = SERVER_ONLY.find((name) => values[name] !== undefined);
    if (wrong !== undefined) throw new UsageError(`--${wrong} does not go with --mx`);
    if (from === undefined || to.length === 0) throw new UsageError('--from and --to are required');
    const servers = values['dns-server']?.map(dnsServer);
    const mxPort = port(values.port, 'port');
    return sendToMx({
      from,
      to,
      message: await messageOf(positionals[0]),
      options: {
        tls,
        ...(ca === undefined ? {} : { ca: readFileSync(ca) }),
        ...(servers === undefined ? {} : { dnsServers: servers }),
        ...(mxPort === undefined ? {} : { port: mxPort }),
        ...(helo === undefined ? {} : { name: helo }),
        mtaSts: values['mta-sts'] === true,
        timeouts: timeouts(seconds),
      },
    });
  }
  const wrong = MX_ONLY.find((name) => values[name] !== undefined);
  if (wrong !== undefined) throw new UsageError(`--${wrong} goes with --mx only`);
  if (server === undefined || from === undefined || to.length === 0)
    throw new UsageError('--server, --from and --to are required');
  const options: SmtpClientOptions = {
    tls,
    tlsOptions: {
      ...(ca === undefined ? {} : { ca: readFileSync(ca) }),
      ...(values.insecure ? { rejectUnauthorized: false } : {}),
    },
    allowInsecureAuth: values['allow-insecure-auth'] === true,
    timeouts: timeouts(seconds),
    ...(auth === undefined ? {} : { auth: credentials(auth, '--auth') }),
    ...(helo === undefined ? {} : { name: helo }),
  };
  const url = serverUrl(server, values.lmtp === true);
  const message = await messageOf(positionals[0]);

  let client: SmtpClient | undefined;
  try {
    client = await SmtpClient.connect(url, options);
    // A file's size is declared (SIZE=): one larger than the server's SIZE fails with ESIZE before
    // MAIL. Line ends made CRLF on the way may add a little; RFC 1870 takes SIZE as an estimate.
    const size = message.size === undefined ? {} : { size: message.size };
    const result = await client.send({ from, to, ...size }, message.stream);
    await client.quit().catch(() => {});
    const output = {
      accepted: result.accepted,
      rejected: result.rejected.map((r) => ({ address: r.address, reply: replyText(r.reply) })),
      reply: replyText(result.reply),
    };
    process.stdout.write(`${JSON.stringify(output)}\n`);
    for (const r of output.rejected) process.stderr.write(`esmtp: ${r.address} refused: ${r.reply}\n`);
    return output.rejected.length === 0 ? 0 : 1;
  } catch (error) {
    client?.close();
    const reply = error instanceof SmtpError ? replyText(error.reply) : undefined;
    const code = (error as { code?: unknown }).code;
    process.stdout.write(
      `${JSON.stringify({ accepted: [], rejected: [], reply: reply ?? null, error: typeof code === 'string' ? code : 'ESMTP' })}\n`,
    );
    process.stderr.write(`esmtp: ${(error as Error).message}\n`);
    return 1;
  }
}
