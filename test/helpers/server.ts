import type { Readable } from 'node:stream';
import type { SmtpServerOptions } from '../../src/server/options.js';
import { SmtpServer } from '../../src/server/smtp-server.js';
import type { Envelope } from '../../src/session/server-events.js';

export interface Delivered {
  envelope: Envelope;
  body: string;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** A server that keeps every message it accepts, with the body as latin1 text. */
export function collectingServer(options: SmtpServerOptions = {}): {
  server: SmtpServer;
  delivered: Delivered[];
} {
  const delivered: Delivered[] = [];
  const server = new SmtpServer({
    hostname: 'mx.test',
    async onData(message, envelope) {
      const body = await readAll(message);
      delivered.push({ envelope, body: body.toString('latin1') });
    },
    ...options,
  });
  return { server, delivered };
}

/**
 * Octets received and not yet processed, summed over the server's connections: what a test of
 * bounded buffering measures. (It reads the server's internals, which no hook can reach.)
 */
export function bufferedIn(server: SmtpServer): number {
  const inside = server as unknown as { connections: Set<{ session: { buffered: number } }> };
  let total = 0;
  for (const connection of inside.connections) total += connection.session.buffered;
  return total;
}
