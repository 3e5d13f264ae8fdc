import { afterEach, describe, expect, it } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';
import { EsmtpError } from '../../src/protocol/errors.js';
import { testCertificates } from '../helpers/certs.js';
import { errorOf } from '../helpers/error-of.js';
import { collectingServer } from '../helpers/server.js';

const certs = testCertificates();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** An esmtp server offering XOAUTH2 over STARTTLS; it takes the tokens in `valid` and records each one it is shown. */
async function start(valid: ReadonlySet<string>) {
  const shown: string[] = [];
  const { server } = collectingServer({
    tls: certs.localhost,
    requireAuth: true,
    auth: {
      mechanisms: ['XOAUTH2'],
      failureDelay: 0,
      authenticate(credentials) {
        if (credentials.mechanism !== 'XOAUTH2') return false;
        shown.push(credentials.accessToken);
        return valid.has(credentials.accessToken);
      },
    },
  });
  const { port } = await server.listen();
  cleanups.push(() => server.close({ timeout: 200 }));
  return { url: `smtp://localhost:${port}`, shown };
}

const tls = { tls: 'required', tlsOptions: { ca: certs.ca } } as const;

describe('XOAUTH2 with a function that returns the access token', () => {
  it('calls the function on every connect: two connections send two different tokens', async () => {
    const { url, shown } = await start(new Set(['token-1', 'token-2']));
    let issued = 0;
    const auth = {
      username: 'alice@example.com',
      accessToken: async () => `token-${++issued}`, // a token endpoint: a new token each time
    };
    const first = await SmtpClient.connect(url, { ...tls, auth });
    const second = await SmtpClient.connect(url, { ...tls, auth });
    expect([first.authenticated, second.authenticated]).toEqual([true, true]);
    expect(shown).toEqual(['token-1', 'token-2']);
    const result = await second.send(
      { from: 'alice@example.com', to: ['bob@example.org'] },
      'Subject: t\r\n\r\nt\r\n',
    );
    expect(result.accepted).toEqual(['bob@example.org']);
    await first.quit();
    await second.quit();
  });

  it('a plain function works as well as an async one', async () => {
    const { url, shown } = await start(new Set(['plain']));
    const client = await SmtpClient.connect(url, {
      ...tls,
      auth: { username: 'alice@example.com', accessToken: () => 'plain' },
    });
    expect(client.authenticated).toBe(true);
    expect(shown).toEqual(['plain']);
    await client.quit();
  });

  it('a function that throws fails the connect with EAUTH carrying the cause; nothing is sent', async () => {
    const { url, shown } = await start(new Set(['token']));
    const cause = new Error('refresh token revoked');
    for (const accessToken of [
      () => {
        throw cause;
      },
      () => Promise.reject(cause),
    ]) {
      const error = await errorOf(
        SmtpClient.connect(url, { ...tls, auth: { username: 'alice@example.com', accessToken } }),
      );
      expect(error).toBeInstanceOf(EsmtpError);
      expect(error.code).toBe('EAUTH');
      expect(error.message).toBe('the accessToken function failed: refresh token revoked');
      expect(error.cause).toBe(cause);
    }
    expect(shown).toEqual([]);
  });

  it('a function that gives no token (empty, or not a string) is EAUTH', async () => {
    const { url, shown } = await start(new Set(['token']));
    for (const token of ['', undefined]) {
      const error = await errorOf(
        SmtpClient.connect(url, {
          ...tls,
          auth: { username: 'alice@example.com', accessToken: () => token as string },
        }),
      );
      expect(error.code).toBe('EAUTH');
      expect(error.message).toMatch(/the accessToken function gave no token/);
    }
    expect(shown).toEqual([]);
  });

  it('a function that never settles is bounded by the command timeout (ETIMEOUT) and by the signal (EABORT)', async () => {
    const { url, shown } = await start(new Set(['token']));
    const never = () => new Promise<string>(() => {});
    const started = Date.now();
    const late = await errorOf(
      SmtpClient.connect(url, {
        ...tls,
        auth: { username: 'alice@example.com', accessToken: never },
        timeouts: { command: 150 },
      }),
    );
    expect(late.code).toBe('ETIMEOUT');
    expect(late.message).toBe('the accessToken function gave no token within 150 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    const controller = new AbortController();
    const aborted = errorOf(
      SmtpClient.connect(url, {
        ...tls,
        auth: {
          username: 'alice@example.com',
          accessToken: () => {
            controller.abort(new Error('shutting down'));
            return never();
          },
        },
        signal: controller.signal,
      }),
    );
    expect((await aborted).code).toBe('EABORT');
    expect(shown).toEqual([]);
  });

  it('a token the server refuses is EAUTH with its 535 reply', async () => {
    const { url, shown } = await start(new Set(['good']));
    const error = await errorOf(
      SmtpClient.connect(url, {
        ...tls,
        auth: { username: 'alice@example.com', accessToken: async () => 'expired' },
      }),
    );
    expect(error.code).toBe('EAUTH');
    expect((error as EsmtpError).reply?.code).toBe(535);
    expect(shown).toEqual(['expired']);
  });
});
