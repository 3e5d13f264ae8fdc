// Reads what an SMTP client sent, as one byte stream in arbitrary chunks, with the pure protocol
// layer alone: command lines, then the message body after DATA, then commands again.
// Run it after `npm run build`: node examples/read-transcript.mjs
import { DotUnstuffer, encodeReply, LineReader, parseCommandLine, Replies, SmtpError } from 'esmtp';

const transcript =
  'EHLO client.example\r\n' +
  'MAIL FROM:<alice@example.com> SIZE=64\r\n' +
  'RCPT TO:<bob@example.org>\r\n' +
  'RCPT TO:bob@example.org\r\n' +
  'DATA\r\n' +
  'Subject: hello\r\n\r\n..a line that starts with a dot\r\n.\r\n' +
  'QUIT\r\n';

// Any chunking gives the same result; here, 7 bytes at a time.
const bytes = new TextEncoder().encode(transcript);
const chunks = [];
for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));

const lines = new LineReader();
let body = null; // a DotUnstuffer while a message is being read
const message = [];

function readCommands() {
  for (let event = lines.next(); event !== undefined; event = lines.next()) {
    if (event.kind === 'too-long') {
      process.stdout.write(encodeReply(Replies.lineTooLong));
      continue;
    }
    try {
      const command = parseCommandLine(event.bytes);
      console.log('command', command.verb);
      if (command.verb === 'DATA') {
        body = new DotUnstuffer();
        return readBody(lines.takeRest());
      }
    } catch (error) {
      if (!(error instanceof SmtpError)) throw error;
      process.stdout.write(`refused: ${encodeReply(error.reply)}`);
    }
  }
}

function readBody(chunk) {
  const end = body.push(chunk, (part) => message.push(new TextDecoder().decode(part)));
  if (end < 0) return;
  console.log('message', JSON.stringify(message.join('')), `${body.size} octets`);
  body = null;
  lines.push(chunk.subarray(end));
  readCommands();
}

for (const chunk of chunks) {
  if (body !== null) readBody(chunk);
  else {
    lines.push(chunk);
    readCommands();
  }
}
