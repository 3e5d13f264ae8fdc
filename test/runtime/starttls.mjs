// STARTTLS from SmtpClient to SmtpServer in one process, run by starttls.test.ts under each runtime
// (node, bun). The server presents CERT_PEM and KEY_PEM; the client requires TLS, verifies the
// certificate and trusts CA_PEM only when it is set. Prints the outcome as JSON on stdout.
import { SmtpClient, SmtpServer } from '../../dist/index.js';

const { CERT_PEM: cert, KEY_PEM: key, CA_PEM: ca } = process.env;

// A deadline of its own, so that no runtime can leave this script waiting.
setTimeout(() => {
  console.error('no outcome within 10 s');
  process.exit(2);
}, 10_000).unref();

const server = new SmtpServer({
  hostname: 'localhost',
  tls: { cert, key },
  async onData(message) {
    for await (const _chunk of message);
  },
});
const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
let outcome;
try {
  const client = await SmtpClient.connect(`smtp://localhost:${port}`, {
    tls: 'required',
    tlsOptions: ca === undefined ? {} : { ca },
    timeouts: { connect: 2000, greeting: 2000, command: 2000, data: 2000 },
  });
  const sent = await client.send(
    { from: 'a@example.com', to: ['b@example.org'] },
    'Subject: t\r\n\r\nhi\r\n',
  );
  await client.quit();
  outcome = { secure: client.secure, accepted: sent.accepted };
} catch (error) {
  outcome = { name: error.name, code: error.code, message: error.message };
}
await server.close({ timeout: 500 });
console.log(JSON.stringify(outcome));
