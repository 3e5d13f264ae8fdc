/**
 * The `esmtp` command. The serve and send commands are not built yet: it prints its usage.
 * @module
 */
const USAGE = `usage: esmtp <command> [options]

esmtp 0.1.0 ships the protocol library only; the commands below are planned:
  serve   run an SMTP server that delivers to a Maildir
  send    send a message from a file or stdin
`;

const [command] = process.argv.slice(2);
if (command === '--help' || command === '-h') {
  process.stdout.write(USAGE);
  process.exit(0);
}
process.stderr.write(USAGE);
process.exit(2);
