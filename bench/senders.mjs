// The client-side workload that bench/client.mjs and bench/pool.mjs share: a message of 4 KiB, and
// the two ways of sending it over 20 connections that both compare against.
import nodemailer from 'nodemailer';
import { SmtpClient } from '../dist/index.js';

export const CONNECTIONS = 20;
export const message = `From: alice@example.com\r\nTo: bob@example.org\r\nSubject: bench\r\n\r\n${`${'x'.repeat(78)}\r\n`.repeat(51)}`;
export const envelope = { from: 'alice@example.com', to: ['bob@example.org'] };

/** esmtp's SmtpClient, one per connection, each sending its share of `messages` in turn. */
export async function clientsInTurn(port, messages) {
  const clients = await Promise.all(
    Array.from({ length: CONNECTIONS }, () =>
      SmtpClient.connect(`smtp://127.0.0.1:${port}`, { tls: 'none' }),
    ),
  );
  await Promise.all(
    clients.map(async (client, i) => {
      for (let n = i; n < messages; n += CONNECTIONS) await client.send(envelope, message);
      await client.quit();
    }),
  );
}

/** nodemailer's pooled transport, every message handed to it at once. */
export async function nodemailerPool(port, messages) {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    ignoreTLS: true,
    pool: true,
    maxConnections: CONNECTIONS,
    maxMessages: Number.POSITIVE_INFINITY,
  });
  await Promise.all(Array.from({ length: messages }, () => transport.sendMail({ envelope, raw: message })));
  transport.close();
}
