// Sends one message and prints the outcome.
//   node examples/send-message.mjs smtp://127.0.0.1:2525 from@example.com to@example.org
import { SmtpClient } from 'esmtp';

const [url = 'smtp://127.0.0.1:2525', from = 'alice@example.com', to = 'bob@example.org'] =
  process.argv.slice(2);
// STARTTLS when the server offers it (the default); an smtps: URL is TLS from the first byte.
const client = await SmtpClient.connect(url);
try {
  const result = await client.send(
    { from, to: [to] },
    `From: ${from}\r\nTo: ${to}\r\nSubject: Hello from esmtp\r\n\r\nThis message was sent by examples/send-message.mjs.\r\n`,
  );
  console.log(
    `accepted: ${result.accepted.join(', ') || 'none'}; the server said: ${result.reply.code} ${result.reply.lines.join(' ')}`,
  );
} finally {
  await client.quit();
}
