/**
 * `esmtp send`: sends one message from a file or stdin with SmtpClient, and prints the outcome as JSON.
 * @module
 */
import { readFileSync } from 'node:fs';
import { SmtpClient, type SmtpClientOptions } from '../client/smtp-client.js';
import { SmtpError } from '../protocol/errors.js';
import { replyText } from '../protocol/reply.js';
import { credentials, integer, parseCommandLine, UsageError } from './args.js';
import { openMessageFile } from './message-file.js';

export const SEND_USAGE = `usage: esmtp send --server URL --from ADDR --to ADDR [--to ADDR ...] [options] [FILE | -]

Sends the message in FILE (or on stdin) and prints the outcome as one JSON object. The size of
FILE is declared (SIZE=): a message larger than the server takes is refused before it is sent.

  --server URL              smtp://host[:port], smtps://host[:port] or lmtp://host:port
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
FILE cannot be read, 2 for usage errors.
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
  help: { type: 'boolean', short: 'h' },
} as const;

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

/** Sends, prints the JSON outcome, and returns the exit status. */
export async function send(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(SEND_USAGE);
    return 0;
  }
  const { server, from, to = [], ca, auth, helo } = values;
  if (server === undefined || from === undefined || to.length === 0)
    throw new UsageError('--server, --from and --to are required');
  if (positionals.length > 1) throw new UsageError('one message file at most');
  const tls = values.tls ?? 'opportunistic';
  if (tls !== 'required' && tls !== 'opportunistic' && tls !== 'none')
    throw new UsageError('--tls is required, opportunistic or none');
  const seconds = integer(values.timeout, 'timeout') ?? 60;
  const options: SmtpClientOptions = {
    tls,
    tlsOptions: {
      ...(ca === undefined ? {} : { ca: readFileSync(ca) }),
      ...(values.insecure ? { rejectUnauthorized: false } : {}),
    },
    allowInsecureAuth: values['allow-insecure-auth'] === true,
    timeouts: {
      command: seconds * 1000,
      data: seconds * 1000,
      greeting: seconds * 1000,
      connect: seconds * 1000,
    },
    ...(auth === undefined ? {} : { auth: credentials(auth, '--auth') }),
    ...(helo === undefined ? {} : { name: helo }),
  };
  const url = serverUrl(server, values.lmtp === true);
  const file = positionals[0];
  const message =
    file === undefined || file === '-'
      ? { stream: process.stdin, size: undefined }
      : await openMessageFile(file);

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
