// A submission server: STARTTLS required, then AUTH (SCRAM-SHA-256, PLAIN or LOGIN) before MAIL,
// each user may only send as their own address, and only authenticated users may send to other
// domains (relayPolicy: 550 5.7.1 for anyone else, should requireAuth ever be dropped).
//   TLS_CERT=cert.pem TLS_KEY=key.pem node examples/submission-server.mjs PORT user@example.com:password ...
import { readFileSync } from 'node:fs';
import { relayPolicy, SmtpServer, scramKeys } from 'esmtp';

const [port = '587', ...accounts] = process.argv.slice(2);
const users = new Map();
for (const account of accounts) {
  const colon = account.lastIndexOf(':');
  const name = account.slice(0, colon);
  const password = account.slice(colon + 1);
  // Keep only what SCRAM needs, and a password check for PLAIN and LOGIN.
  users.set(name, { keys: await scramKeys(password), password });
}

const server = new SmtpServer({
  hostname: 'submission.localhost',
  tls: { cert: readFileSync(process.env.TLS_CERT), key: readFileSync(process.env.TLS_KEY) },
  requireTls: true,
  requireAuth: true,
  auth: {
    scramKeys: (name) => users.get(name)?.keys,
    authenticate: (c) => c.mechanism === 'SCRAM-SHA-256' || users.get(c.username)?.password === c.password,
    senderMustMatch: true,
  },
  onRcptTo: relayPolicy({ relayFor: { authenticated: true } }),
  async onData(message, envelope, session) {
    let size = 0;
    for await (const chunk of message) size += chunk.length;
    console.log(
      `${session.user} submitted ${size} octets for ${envelope.recipients.length} recipient(s) over ${session.tls.protocol}`,
    );
  },
});
const bound = await server.listen({ host: '127.0.0.1', port: Number(port) });
console.log(`submission on smtp://127.0.0.1:${bound.port} (STARTTLS, then AUTH)`);
process.once('SIGTERM', () => server.close().then(() => process.exit(0)));
