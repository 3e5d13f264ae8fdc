// A development mail catcher: accepts every message on 127.0.0.1 and prints a summary of each.
// Point your application's SMTP settings at it while you work.
//   node examples/mail-catcher.mjs [PORT]
import { SmtpServer } from 'esmtp';

const server = new SmtpServer({
  hostname: 'catcher.localhost',
  async onData(message, envelope) {
    let text = '';
    for await (const chunk of message) text += chunk.toString('latin1');
    const subject = /^Subject: (.*)$/im.exec(text)?.[1] ?? '(no subject)';
    const to = envelope.recipients.map((r) => r.address.address).join(', ');
    console.log(
      `caught: from ${envelope.from?.address ?? '<>'} to ${to}: ${subject} (${text.length} octets)`,
    );
  },
});
const { port } = await server.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 2525) });
console.log(`catching mail on smtp://127.0.0.1:${port}`);
process.once('SIGINT', () => server.close().then(() => process.exit(0)));
process.once('SIGTERM', () => server.close().then(() => process.exit(0)));
