// An inbound server that checks SPF, DKIM, DMARC and ARC with mailauth, prepends the results
// (Received-SPF and Authentication-Results) to each message, and stores it as Maildir does. The
// 250 is sent only once the message is on disk; a message that fails on the way leaves nothing.
//   node examples/authenticating-server.mjs PORT SPOOL_DIR
// DNS_SERVER=127.0.0.1:5353 asks that DNS server instead of the system's.
import { randomUUID } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SmtpServer } from 'esmtp';
import { authenticate } from 'mailauth';

const [port = '2525', spool = 'spool'] = process.argv.slice(2);
const hostname = 'mx.example.net';
await mkdir(join(spool, 'tmp'), { recursive: true });
await mkdir(join(spool, 'new'), { recursive: true });

// mailauth asks `resolver(name, rrtype)` as `dns.promises.resolve` answers it. A Resolver of our
// own bounds every query (two tries of two seconds) and may ask a DNS server of our choice.
const dns = new Resolver({ timeout: 2000, tries: 2 });
if (process.env.DNS_SERVER) dns.setServers([process.env.DNS_SERVER]);
const resolver = (name, rrtype) => dns.resolve(name, rrtype);

/** Writes `chunks` to a new file and flushes it to disk. */
async function writeFlushed(path, chunks) {
  const file = await open(path, 'wx', 0o600);
  try {
    await file.writeFile(chunks); // every byte, or it rejects
    await file.sync();
  } finally {
    await file.close();
  }
}

/**
 * Receives the message into tmp/, checks it, and writes it again with the results on top; then
 * renames it into new/ and flushes the directory. Whatever fails, nothing is left in tmp/.
 */
async function authenticateAndStore(message, envelope, session) {
  const name = `${Date.now()}.${randomUUID()}.eml`;
  const received = join(spool, 'tmp', `${name}.received`);
  const partial = join(spool, 'tmp', name);
  try {
    // A message over the size limit makes this stream fail with the 552, and the finally below
    // removes what was written.
    await writeFile(received, message, { flag: 'wx', mode: 0o600 });
    const result = await authenticate(createReadStream(received), {
      ip: session.remoteAddress.replace(/^::ffff:/, ''),
      helo: session.helo,
      // For the null sender <>, SPF checks the HELO name (RFC 7208 2.4).
      sender: envelope.from?.address ?? `postmaster@${session.helo}`,
      mta: hostname,
      resolver,
    });
    await writeFlushed(
      partial,
      (async function* () {
        yield Buffer.from(result.headers); // Received-SPF and Authentication-Results, each ending in CRLF
        yield* createReadStream(received);
      })(),
    );
    await rename(partial, join(spool, 'new', name));
    const directory = await open(join(spool, 'new'), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
    return { name, result };
  } finally {
    await rm(received, { force: true });
    await rm(partial, { force: true }); // already renamed, unless something failed
  }
}

const server = new SmtpServer({
  hostname,
  limits: { messageSize: 10 << 20 },
  async onData(message, envelope, session) {
    const { name, result } = await authenticateAndStore(message, envelope, session); // the 250 waits
    const verdicts = [
      `dkim=${result.dkim.results[0]?.status.result ?? 'none'}`,
      `spf=${result.spf.status.result}`,
      `dmarc=${result.dmarc?.status.result ?? 'none'}`,
      `arc=${result.arc.status.result}`,
    ];
    console.log(`stored ${name}: ${verdicts.join(' ')}`);
  },
});
const bound = await server.listen({ host: '127.0.0.1', port: Number(port) });
console.log(`authenticating mail on smtp://127.0.0.1:${bound.port}, storing in ${spool}`);
process.once('SIGTERM', () => server.close().then(() => process.exit(0)));
