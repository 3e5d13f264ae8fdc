import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpError } from '../../src/protocol/errors.js';
import type { SmtpServer } from '../../src/server/smtp-server.js';
import { collectingServer, type Delivered } from '../helpers/server.js';

describe("nodemailer's client against SmtpServer over TCP", () => {
  let server: SmtpServer;
  let delivered: Delivered[];
  let port: number;

  beforeAll(async () => {
    ({ server, delivered } = collectingServer({
      onRcptTo(to) {
        if (to.domain !== 'example.org') throw new SmtpError(550, '5.7.1', 'relaying denied');
      },
    }));
    port = (await server.listen({ host: '127.0.0.1', port: 0 })).port;
  });

  afterAll(() => server.close({ timeout: 1000 }));

  function transport(options: Record<string, unknown> = {}) {
    return nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      ignoreTLS: true,
      ...options,
    });
  }

  it('sends a message; the delivered bytes are the message, dot-stuffing undone', async () => {
    const info = await transport().sendMail({
      from: 'alice@example.com',
      to: ['bob@example.org', 'carol@example.org'],
      subject: 'interop',
      text: 'first line\n.a line with a leading dot\n..two dots\nlast line',
    });
    expect(info.accepted).toEqual(['bob@example.org', 'carol@example.org']);
    expect(info.response).toMatch(/^250 2\.0\.0/);
    const message = delivered.at(-1) as Delivered;
    expect(message.envelope.from?.address).toBe('alice@example.com');
    expect(message.envelope.recipients.map((r) => r.address.address)).toEqual([
      'bob@example.org',
      'carol@example.org',
    ]);
    expect(message.body).toMatch(/^Content-Type: text\/plain/m);
    expect(message.body).toContain('Subject: interop\r\n');
    expect(message.body).toContain(
      '\r\n\r\nfirst line\r\n.a line with a leading dot\r\n..two dots\r\nlast line',
    );
    expect(message.body.endsWith('\r\n')).toBe(true);
  });

  it('a refused recipient is reported and the others get the message', async () => {
    const info = await transport().sendMail({
      from: 'alice@example.com',
      to: ['bob@example.org', 'mallory@elsewhere.net'],
      text: 'partial',
    });
    expect(info.accepted).toEqual(['bob@example.org']);
    expect(info.rejected).toEqual(['mallory@elsewhere.net']);
    expect(delivered.at(-1)?.envelope.recipients).toHaveLength(1);
  });

  it('a pooled transport sends many messages over few connections, and SMTPUTF8 addresses', async () => {
    const pool = transport({ pool: true, maxConnections: 2 });
    const before = delivered.length;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        pool.sendMail({
          from: 'alice@example.com',
          to: 'bob@example.org',
          subject: `n${i}`,
          text: `message ${i}`,
        }),
      ),
    );
    await pool.sendMail({
      from: 'jörg@example.com',
      to: 'dörte@example.org',
      subject: 'utf8',
      text: 'grüße',
    });
    pool.close();
    expect(delivered.length - before).toBe(21);
    expect(delivered.at(-1)?.envelope.params.smtputf8).toBe(true);
  });

  it('a large raw message arrives byte for byte', async () => {
    const lines = Array.from({ length: 30_000 }, (_, i) =>
      i % 10 === 0 ? `.${i} starts with a dot` : `${i} ${'x'.repeat(70)}`,
    );
    const raw = `From: alice@example.com\r\nTo: bob@example.org\r\nSubject: big\r\n\r\n${lines.join('\r\n')}\r\n`;
    await transport().sendMail({ envelope: { from: 'alice@example.com', to: ['bob@example.org'] }, raw });
    expect(delivered.at(-1)?.body).toBe(raw);
  });
});
