import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** The ids of the first two sessions of a fresh process, as its onConnect hook sees them. */
function idsOfAProcess(): string[] {
  const script = `
    import { SmtpServer, memoryPair } from 'esmtp';
    const server = new SmtpServer({ onConnect: (session) => console.log(session.id) });
    for (let i = 0; i < 2; i++) server.handle(memoryPair()[1]);
    setTimeout(() => process.exit(0), 50);`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  })
    .trim()
    .split('\n');
}

describe('session ids', () => {
  it('differ between processes that start together (the workers of one server), not only within one', () => {
    const [first, second] = [idsOfAProcess(), idsOfAProcess()];
    const tag = (id: string | undefined) => id?.split('-')[1];
    expect(first).toHaveLength(2);
    expect(first[0]).not.toBe(first[1]);
    expect(tag(first[0])).toMatch(/^[0-9a-f]{6}$/);
    expect(tag(first[0])).toBe(tag(first[1]));
    expect(tag(first[0])).not.toBe(tag(second[0]));
  });
});
