import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('examples/ run against the built package', () => {
  it('reads a transcript: commands, a refused RCPT, the unstuffed message, QUIT', () => {
    const out = execFileSync(process.execPath, [join(root, 'examples/read-transcript.mjs')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(out.replace(/\r\n/g, '\n')).toBe(
      [
        'command EHLO',
        'command MAIL',
        'command RCPT',
        'refused: 501 5.1.3 Bad recipient address syntax',
        'command DATA',
        'message "Subject: hello\\r\\n\\r\\n.a line that starts with a dot\\r\\n" 50 octets',
        'command QUIT',
        '',
      ].join('\n'),
    );
  });

  it('every example is covered by a test here', () => {
    expect(readdirSync(join(root, 'examples'))).toEqual(['read-transcript.mjs']);
  });
});
