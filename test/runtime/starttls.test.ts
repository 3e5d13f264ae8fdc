import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testCertificates } from '../helpers/certs.js';
import { describeWithPeer, findProgram } from '../helpers/peers.js';

// These run the built package (dist/), as a user of each runtime would.
const run = promisify(execFile);
const script = join(import.meta.dirname, 'starttls.mjs');
const root = join(import.meta.dirname, '..', '..');
// The bun package pinned in devDependencies, else one on the PATH.
const bun = findProgram([join(root, 'node_modules', '.bin', 'bun'), 'bun']);
const certs = testCertificates();

async function starttls(runtime: string, trust: boolean): Promise<Record<string, unknown>> {
  const env = { ...process.env, CERT_PEM: certs.localhost.cert, KEY_PEM: certs.localhost.key };
  const { stdout } = await run(runtime, [script], {
    env: trust ? { ...env, CA_PEM: certs.ca } : env,
    timeout: 15_000,
  });
  return JSON.parse(stdout);
}

function holdsTo(runtime: string): void {
  it('a certificate the client cannot verify fails the upgrade with ETLS', { timeout: 20_000 }, async () => {
    expect(await starttls(runtime, false)).toMatchObject({
      name: 'EsmtpError',
      code: 'ETLS',
      message: expect.stringMatching(/^TLS handshake failed: /),
    });
  });

  it('a certificate it trusts upgrades, and a message goes through', { timeout: 20_000 }, async () => {
    expect(await starttls(runtime, true)).toEqual({ secure: true, accepted: ['b@example.org'] });
  });
}

describe('Node', () => holdsTo(process.execPath));
describeWithPeer('Bun', bun, holdsTo);
