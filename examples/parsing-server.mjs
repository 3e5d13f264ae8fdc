// A server that parses each message it receives into its subject, text and attachments, with
// postal-mime (the default) or mailparser, and prints them as a JSON line: what an application
// would store in its database. The 250 waits until the message is parsed.
//   node examples/parsing-server.mjs PORT [postal-mime|mailparser]
import { Readable } from 'node:stream';
import { SmtpServer } from 'esmtp';
import { simpleParser } from 'mailparser';
import PostalMime from 'postal-mime';

const [port = '2525', parser = 'postal-mime'] = process.argv.slice(2);

/** Each parser's result in one shape. */
const parsers = {
  async 'postal-mime'(message) {
    const email = await PostalMime.parse(Readable.toWeb(message)); // it reads a web stream
    return {
      subject: email.subject,
      from: email.from?.address,
      text: email.text,
      attachments: email.attachments.map((a) => ({
        filename: a.filename,
        type: a.mimeType,
        size: a.content.byteLength,
      })),
    };
  },
  async mailparser(message) {
    const mail = await simpleParser(message);
    return {
      subject: mail.subject,
      from: mail.from?.value[0]?.address,
      text: mail.text,
      attachments: mail.attachments.map((a) => ({ filename: a.filename, type: a.contentType, size: a.size })),
    };
  },
};
const parse = parsers[parser];
if (parse === undefined) throw new Error(`unknown parser ${parser}: postal-mime or mailparser`);

const server = new SmtpServer({
  hostname: 'parser.localhost',
  limits: { messageSize: 10 << 20 }, // the parsers hold a message in memory: keep it bounded
  async onData(message) {
    console.log(JSON.stringify(await parse(message)));
  },
});
const bound = await server.listen({ host: '127.0.0.1', port: Number(port) });
console.log(`parsing mail with ${parser} on smtp://127.0.0.1:${bound.port}`);
process.once('SIGTERM', () => server.close().then(() => process.exit(0)));
