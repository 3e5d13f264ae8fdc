/**
 * The users `esmtp serve` accepts for AUTH, from `--auth USER:PASS`, from `--auth-file FILE` and
 * from the environment variable ESMTP_AUTH. The file and the variable keep passwords out of the
 * command line, which every user of the machine can read (ps).
 * @module
 */
import { readFileSync } from 'node:fs';
import { credentials } from './args.js';

const AUTH_VARIABLE = 'ESMTP_AUTH';

interface User {
  username: string;
  password: string;
}

/** Every user given, by flag, file or variable; a name given twice keeps its last password. */
export function readUsers(flags: readonly string[], file: string | undefined): Map<string, string> {
  const users: User[] = [
    ...flags.map((text) => credentials(text, '--auth')),
    ...(file === undefined ? [] : userLines(readFileSync(file, 'utf8'), `--auth-file ${file}`)),
    ...userLines(process.env[AUTH_VARIABLE] ?? '', AUTH_VARIABLE),
  ];
  return new Map(users.map((u) => [u.username, u.password]));
}

/** One `user:password` a line; blank lines and lines starting with # are skipped. */
function userLines(text: string, source: string): User[] {
  return text.split('\n').flatMap((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '' || line.startsWith('#')) return [];
    return [credentials(line, `${source}: line ${i + 1}`)];
  });
}
