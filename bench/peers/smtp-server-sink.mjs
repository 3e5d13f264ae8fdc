// nodemailer's smtp-server, accepting and discarding every message, no TLS: the bench's contender.
// Prints "listening PORT"; on SIGTERM prints "delivered N" and exits.
import { SMTPServer } from 'smtp-server';

let delivered = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  size: 0,
  maxClients: 100000,
  onData(stream, _session, callback) {
    stream.on('end', () => {
      delivered++;
      callback();
    });
    stream.resume();
  },
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`listening ${server.server.address().port}`);
});
process.on('SIGTERM', () => {
  console.log(`delivered ${delivered}`);
  process.exit(0);
});
