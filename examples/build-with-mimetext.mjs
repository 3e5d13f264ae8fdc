// Builds a message with mimetext (plain text, HTML and an attachment) and sends it.
//   node examples/build-with-mimetext.mjs URL FROM TO
import { SmtpClient } from 'esmtp';
import { createMimeMessage } from 'mimetext';

const [url = 'smtp://127.0.0.1:2525', from = 'alice@example.com', to = 'bob@example.org'] =
  process.argv.slice(2);

const message = createMimeMessage();
message.setSender({ name: 'Alice', addr: from });
message.setRecipient(to);
message.setSubject('Your report');
message.addMessage({ contentType: 'text/plain', data: 'Hi Bob,\nthe report is attached.' });
message.addMessage({ contentType: 'text/html', data: '<p>Hi Bob,</p><p>the report is <b>attached</b>.</p>' });
message.addAttachment({
  filename: 'report.csv',
  contentType: 'text/csv',
  data: Buffer.from('quarter,total\nQ1,42\n').toString('base64'), // mimetext takes base64
});

const client = await SmtpClient.connect(url);
try {
  // asRaw() separates lines with LF; the client sends every line end as CRLF.
  const result = await client.send({ from, to: [to] }, message.asRaw());
  console.log(`accepted: ${result.accepted.join(', ')}`);
} finally {
  await client.quit();
}
