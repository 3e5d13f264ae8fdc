/**
 * Sends each command line to the function of its command. To add a command: parse it in
 * `protocol/commands.ts`, give it a `cmd-*.ts` function that checks the state it needs, and add
 * its case here.
 * @module
 */
import type { Command } from '../../protocol/commands.js';
import { auth } from './cmd-auth.js';
import { expn, help, noop, quit, rset, vrfy } from './cmd-basic.js';
import { bdat, data } from './cmd-data.js';
import { hello } from './cmd-hello.js';
import { mail } from './cmd-mail.js';
import { rcpt } from './cmd-rcpt.js';
import { starttls } from './cmd-starttls.js';
import type { SessionCore } from './core.js';
import type { InvalidCommand } from './input.js';
import { clientError, Refusals } from './refusals.js';
import { IDLE } from './state.js';

export function dispatch(s: SessionCore, command: Command | InvalidCommand): void {
  // Any other command ends a run of BDATs pipelined behind a refused chunk; a line that could not
  // be read changes nothing.
  if (s.transaction.type === 'chunks-refused' && command.verb !== 'BDAT' && command.verb !== 'INVALID') {
    s.transaction = IDLE;
  }
  switch (command.verb) {
    case 'EHLO':
    case 'HELO':
    case 'LHLO':
      return hello(s, command.verb, command.domain);
    case 'MAIL':
      return mail(s, command.from, command.params);
    case 'RCPT':
      return rcpt(s, command.to, command.params);
    case 'DATA':
      return data(s);
    case 'BDAT':
      return bdat(s, command.size, command.last);
    case 'RSET':
      return rset(s);
    case 'NOOP':
      return noop(s);
    case 'VRFY':
      return vrfy(s);
    case 'EXPN':
      return expn(s, command.argument);
    case 'HELP':
      return help(s);
    case 'QUIT':
      return quit(s);
    case 'STARTTLS':
      return starttls(s);
    case 'AUTH':
      return auth(s, command.mechanism, command.initialResponse);
    case 'UNKNOWN':
      return s.refuse(Refusals.unrecognized);
    case 'INVALID':
      return invalid(s, command);
  }
}

function invalid(s: SessionCore, command: InvalidCommand): void {
  if (command.attempted !== 'BDAT') return s.refuse(clientError(command.reply));
  // A BDAT whose size cannot be read leaves no way to find the next command: close.
  s.reply(command.reply);
  s.close();
}
