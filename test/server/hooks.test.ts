import { describe, expect, it } from 'vitest';
import { SmtpError } from '../../src/protocol/errors.js';
import { code, RawClient } from '../helpers/raw-client.js';
import { collectingServer } from '../helpers/server.js';

describe('hook refusals', () => {
  it('an SmtpError with a positive code is a bug in the hook: 451 and an error event, never a 250', async () => {
    const { server } = collectingServer({
      onRcptTo(to) {
        if (to.localPart === 'positive') throw new SmtpError(250, '2.1.5', 'fine, but refused');
      },
    });
    const errors: unknown[] = [];
    server.on('error', (error) => errors.push(error));
    const client = await RawClient.ready(server);
    expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('250 2.1.0');
    expect(code(await client.command('RCPT TO:<positive@example.org>'))).toBe('451 4.3.0');
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/refused with 250/);
    // The recipient was not added, and the client was not told it was.
    expect(code(await client.command('DATA'))).toBe('554 5.5.1');
  });

  it('an authenticate hook that throws a positive SmtpError does not authenticate', async () => {
    const { server } = collectingServer({
      allowInsecureAuth: true,
      auth: {
        authenticate() {
          throw new SmtpError(235, '2.7.0', 'welcome?');
        },
        failureDelay: 0,
      },
    });
    const errors: unknown[] = [];
    server.on('error', (error) => errors.push(error));
    const client = await RawClient.ready(server);
    const credentials = Buffer.from('\0alice\0secret').toString('base64');
    expect(code(await client.command(`AUTH PLAIN ${credentials}`))).toBe('454 4.7.0');
    expect(errors).toHaveLength(1);
    expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('250 2.1.0');
  });

  it('a proper refusal is sent as it is, 4xx and 5xx alike', async () => {
    const { server } = collectingServer({
      onRcptTo(to) {
        if (to.localPart === 'later') throw new SmtpError(450, '4.2.1', 'try later');
        throw new SmtpError(550, '5.1.1', 'no such user');
      },
    });
    const client = await RawClient.ready(server);
    await client.command('MAIL FROM:<a@example.com>');
    expect(code(await client.command('RCPT TO:<later@example.org>'))).toBe('450 4.2.1');
    expect(code(await client.command('RCPT TO:<gone@example.org>'))).toBe('550 5.1.1');
  });
});
