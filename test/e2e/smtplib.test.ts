import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SmtpError } from '../../src/protocol/errors.js';
import type { SmtpServer } from '../../src/server/smtp-server.js';
import { describeWithPeer, findProgram } from '../helpers/peers.js';
import { collectingServer, type Delivered } from '../helpers/server.js';

const run = promisify(execFile);
const python = findProgram(['/usr/bin/python3', 'python3']);

describeWithPeer("Python's smtplib", python, (program) => {
  let server: SmtpServer;
  let delivered: Delivered[];
  let port: number;

  beforeAll(async () => {
    ({ server, delivered } = collectingServer({
      limits: { messageSize: 4096 },
      onRcptTo(to) {
        if (to.domain !== 'example.org') throw new SmtpError(550, '5.7.1', 'relaying denied');
      },
    }));
    port = (await server.listen()).port;
  });

  afterAll(() => server.close({ timeout: 1000 }));

  async function smtplib(scenario: string): Promise<Record<string, unknown>> {
    const { stdout } = await run(program, [
      join(import.meta.dirname, 'send_with_smtplib.py'),
      String(port),
      scenario,
    ]);
    return JSON.parse(stdout);
  }

  it('reads the EHLO reply and sends a message with two recipients', async () => {
    const result = await smtplib('plain');
    expect(result).toMatchObject({ ehlo: 250, refused: {}, noop: 250 });
    expect(result.features).toEqual(
      expect.arrayContaining(['pipelining', 'size', '8bitmime', 'smtputf8', 'chunking', 'dsn']),
    );
    const message = delivered.at(-1) as Delivered;
    expect(message.body).toBe('Subject: smtplib\r\n\r\nhello\r\n.leading dot\r\nend\r\n');
    expect(message.envelope.recipients.map((r) => r.address.address)).toEqual([
      'bob@example.org',
      'carol@example.org',
    ]);
  });

  it('sends with SMTPUTF8', async () => {
    expect(await smtplib('utf8')).toMatchObject({ sent: true, noop: 250 });
    const message = delivered.at(-1) as Delivered;
    expect(message.envelope.from?.address).toBe('jörg@example.com');
    expect(message.envelope.params.smtputf8).toBe(true);
    expect(Buffer.from(message.body, 'latin1').toString('utf8')).toContain('Subject: grüße');
  });

  it('sees a refused recipient', async () => {
    expect((await smtplib('refused')).refused).toEqual({ 'x@elsewhere.net': [550, '5.7.1 relaying denied'] });
  });

  it('sees SIZE enforced', async () => {
    // smtplib sends SIZE= when the server offers SIZE, so the refusal comes at MAIL.
    expect(await smtplib('size')).toMatchObject({ sender_refused: 552, noop: 250 });
  });
});
