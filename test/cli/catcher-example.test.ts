import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { type RunningServe, startServe } from '../helpers/cli.js';

const root = join(import.meta.dirname, '..', '..');
const example = readFileSync(join(root, 'examples', 'catcher.test.ts'), 'utf8');

const running: RunningServe[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop('SIGKILL')));
});

it("docs/catcher.md's example test is examples/catcher.test.ts, word for word", () => {
  const page = readFileSync(join(root, 'docs', 'catcher.md'), 'utf8');
  const blocks = [...page.matchAll(/```ts no_run\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks).toContain(example);
});

it('the example test passes against esmtp serve --ui, run by vitest as a user runs it', async () => {
  const s = await startServe(['--ui', '127.0.0.1:0']);
  running.push(s);
  const web = /esmtp web page on (http:\/\/\S+)\//.exec(s.stdout())?.[1] as string;
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const outcome = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      process.execPath,
      [
        vitest,
        'run',
        '--root',
        join(root, 'examples'),
        '--config',
        join(root, 'test', 'helpers', 'examples.vitest.config.ts'),
        'catcher.test.ts',
      ],
      {
        cwd: root,
        timeout: 60_000,
        env: { ...process.env, CATCHER_URL: web, SMTP_URL: `smtp://127.0.0.1:${s.port}`, CI: 'true' },
      },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), output: stdout + stderr }),
    );
  });
  expect(outcome.output).toMatch(/1 passed/);
  expect(outcome.code, outcome.output).toBe(0);
  expect(s.messages()).toHaveLength(1);
}, 90_000);
