import { spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';

/** The first of `candidates` that runs (`--version` exits 0), or undefined. */
export function findProgram(
  candidates: readonly string[],
  args: readonly string[] = ['--version'],
): string | undefined {
  for (const candidate of candidates) {
    const result = spawnSync(candidate, args, { stdio: 'ignore' });
    if (result.status === 0) return candidate;
  }
  return undefined;
}

/**
 * A describe block for tests that need an outside peer. When the peer is missing it is skipped
 * with a visible message on a developer's machine, and fails under CI (CI=true): CI must never
 * pass without running it.
 */
export function describeWithPeer(
  name: string,
  found: string | undefined,
  body: (program: string) => void,
): void {
  if (found !== undefined) {
    describe(name, () => body(found));
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`needs ${name}, which is missing`, () => {
        throw new Error(`${name} is not installed; .ci/run must install it`);
      });
    });
    return;
  }
  console.warn(`SKIPPED: ${name} is not installed; its interop tests did not run`);
  describe.skip(name, () => body(''));
}
