import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  key: string;
  cert: string;
}

export interface TestCertificates {
  /** The test CA's certificate, to trust. */
  ca: string;
  /** For `localhost` and 127.0.0.1, valid now. */
  localhost: KeyPair;
  /** For `localhost`, expired. */
  expired: KeyPair;
  /** Valid, but for `wrong.example`. */
  wrongName: KeyPair;
  /** For `other.example` (SNI tests). */
  other: KeyPair;
  /** A client certificate, CN=client.example. */
  client: KeyPair;
}

let cached: TestCertificates | undefined;
/** Issues a leaf certificate signed by the test CA; set once the CA exists. */
let issue: ((name: string, cn: string, san: string, days: string, usage: string) => KeyPair) | undefined;
let issued = 0;

/** A server certificate from the test CA for `names` (DNS names, or IP addresses), valid now. */
export function certificateFor(...names: string[]): KeyPair {
  testCertificates();
  const san = names.map((n) => `${isIP(n) === 0 ? 'DNS' : 'IP'}:${n}`).join(',');
  return (issue as NonNullable<typeof issue>)(`named${issued++}`, names[0] ?? 'none', san, '2', 'serverAuth');
}

/** Makes a CA and leaf certificates with openssl, once per test process. */
export function testCertificates(): TestCertificates {
  if (cached !== undefined) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'esmtp-certs-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=esmtp test CA',
  );
  const leaf = (name: string, cn: string, san: string, days: string, usage: string): KeyPair => {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      days,
      '-extfile',
      `${name}.ext`,
    );
    return {
      key: readFileSync(join(dir, `${name}.key`), 'utf8'),
      cert: readFileSync(join(dir, `${name}.pem`), 'utf8'),
    };
  };
  issue = leaf;
  cached = {
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    localhost: leaf('localhost', 'localhost', 'DNS:localhost,IP:127.0.0.1', '2', 'serverAuth'),
    // A negative validity: notAfter before notBefore, so expired from the start.
    expired: leaf('expired', 'localhost', 'DNS:localhost,IP:127.0.0.1', '-1', 'serverAuth'),
    wrongName: leaf('wrong', 'wrong.example', 'DNS:wrong.example', '2', 'serverAuth'),
    other: leaf('other', 'other.example', 'DNS:other.example', '2', 'serverAuth'),
    client: leaf('client', 'client.example', 'DNS:client.example', '2', 'clientAuth'),
  };
  return cached;
}

/** Writes a key pair into files of a fresh directory, for a server that reads them (esmtp serve). */
export function writeKeyPair(pair: KeyPair): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'esmtp-pair-'));
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  writeFileSync(files.cert, pair.cert);
  writeFileSync(files.key, pair.key);
  return files;
}
