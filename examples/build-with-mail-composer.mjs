// Builds a message with nodemailer's MailComposer, the part of nodemailer that makes the MIME
// message, and sends it with esmtp: what a sendMail() call becomes.
//   node examples/build-with-mail-composer.mjs URL FROM TO
import { SmtpClient } from 'esmtp';
import MailComposer from 'nodemailer/lib/mail-composer';

const [url = 'smtp://127.0.0.1:2525', from = 'alice@example.com', to = 'bob@example.org'] =
  process.argv.slice(2);

const mail = new MailComposer({
  from: `Alice <${from}>`,
  to,
  subject: 'Your report',
  text: 'Hi Bob,\nthe report is attached.',
  html: '<p>Hi Bob,</p><p>the report is <b>attached</b>.</p>',
  attachments: [{ filename: 'report.csv', content: 'quarter,total\nQ1,42\n' }],
}).compile();

const client = await SmtpClient.connect(url);
try {
  // The envelope sendMail() would use: the sender and every recipient, Bcc included (the Bcc
  // header itself is left out of the message). The message goes out as a stream.
  const { from: sender, to: recipients } = mail.getEnvelope();
  const result = await client.send({ from: sender || null, to: recipients }, mail.createReadStream());
  console.log(`accepted: ${result.accepted.join(', ')}`);
} finally {
  await client.quit();
}
