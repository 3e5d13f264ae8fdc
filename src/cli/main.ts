/**
 * The `esmtp` command: `esmtp serve` runs a Maildir server, `esmtp send` sends a message.
 * @module
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { SEND_USAGE, send } from './send.js';
import { SERVE_USAGE, serve } from './serve.js';

const USAGE = `usage: esmtp <command> [options]

  serve   run an SMTP server that delivers to a Maildir (esmtp serve --help)
  send    send a message from a file or stdin (esmtp send --help)

  -h, --help     show this help
  --version      print the version
`;

/** The package's version, from the package.json beside dist/ (where this file is built to). */
function version(): string {
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
}

async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        await serve(rest);
        return undefined; // keeps running until a signal
      case 'send':
        return await send(rest);
      case '--version':
        process.stdout.write(`${version()}\n`);
        return 0;
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
