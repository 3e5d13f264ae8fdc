// Type-checked without Node's types by test/package.test.ts.
import { formatCommand, parseCommand, type Reply, ReplyParser } from 'esmtp/protocol';

const command = parseCommand('MAIL FROM:<a@example.com>');
const parser = new ReplyParser();
parser.push(new TextEncoder().encode('250 OK\r\n'));
const reply: Reply | undefined = parser.next();
export const outcome: string = `${formatCommand(command)} ${reply?.code}`;
