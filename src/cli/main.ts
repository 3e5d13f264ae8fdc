/**
 * The `esmtp` command: `esmtp serve` runs a Maildir server, `esmtp send` sends a message.
 * @module
 */
import { UsageError } from './args.js';
import { SEND_USAGE, send } from './send.js';
import { SERVE_USAGE, serve } from './serve.js';

const USAGE = `usage: esmtp <command> [options]

  serve   run an SMTP server that delivers to a Maildir (esmtp serve --help)
  send    send a message from a file or stdin (esmtp send --help)
`;

async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        await serve(rest);
        return undefined; // keeps running until a signal
      case 'send':
        return await send(rest);
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(USAGE);
        return 0;
      default:
        throw new UsageError(command === undefined ? 'a command is needed' : `unknown command ${command}`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const usage = command === 'serve' ? SERVE_USAGE : command === 'send' ? SEND_USAGE : USAGE;
    process.stderr.write(`esmtp: ${error.message}\n\n${usage}`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    if (status !== undefined) process.exitCode = status;
  },
  (error: Error) => {
    process.stderr.write(`esmtp: ${error.message}\n`);
    process.exitCode = 1;
  },
);
