// Run by web-runtimes.test.ts with `deno run` and nothing but `--allow-net=127.0.0.1` and the reads
// of this package's dist/web.js and the CA: sends one message with STARTTLS and AUTH PLAIN through
// esmtp/web's connectDeno (Deno's own sockets, no Node compatibility). Arguments: the server's
// port and the CA file. Prints the outcome as JSON on stdout.
import { connectDeno, SmtpClient } from '../../dist/web.js';

const [port, caFile] = Deno.args;

// A deadline of its own, so that nothing can leave this script waiting.
const deadline = setTimeout(() => {
  console.error('no outcome within 10 s');
  Deno.exit(2);
}, 10_000);

let outcome;
try {
  const ca = await Deno.readTextFile(caFile);
  const transport = await connectDeno('127.0.0.1', Number(port), { timeout: 2000 });
  const client = await SmtpClient.over(
    transport,
    {
      tls: 'required',
      tlsOptions: { ca },
      auth: { username: 'alice', password: 's3cret' },
      timeouts: { greeting: 2000, command: 2000, data: 2000 },
    },
    'localhost',
  );
  const sent = await client.send(
    { from: 'alice@example.com', to: ['bob@example.org'] },
    'Subject: Deno\r\n\r\nsent from Deno\r\n',
  );
  await client.quit();
  outcome = { secure: client.secure, authenticated: client.authenticated, accepted: sent.accepted };
} catch (error) {
  outcome = { name: error.name, code: error.code, message: error.message };
}
clearTimeout(deadline);
console.log(JSON.stringify(outcome));
