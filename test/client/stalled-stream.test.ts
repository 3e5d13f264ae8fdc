import { describe, expect, it } from 'vitest';
import { SmtpPool } from '../../src/client/pool.js';
import { SmtpClient } from '../../src/client/smtp-client.js';
import { errorOf } from '../helpers/error-of.js';
import { collectingServer } from '../helpers/server.js';

/** A message stream that gives its headers, then nothing, ever. */
async function* stallingStream() {
  yield new TextEncoder().encode('Subject: stalls\r\n\r\nthe first part\r\n');
  await new Promise(() => {}); // never settles
}

const envelope = { from: 'a@example.com', to: ['b@example.org'] };

describe('a message stream that stalls', () => {
  for (const chunking of [true, false]) {
    it(`fails the send with ETIMEOUT within timeouts.data, and nothing is delivered (${chunking ? 'BDAT' : 'DATA'})`, async () => {
      const { server, delivered } = collectingServer({ extensions: { chunking } });
      const { port } = await server.listen();
      try {
        const client = await SmtpClient.connect(`smtp://127.0.0.1:${port}`, {
          tls: 'none',
          timeouts: { data: 300 },
        });
        const error = await errorOf(client.send(envelope, stallingStream()));
        expect(error).toMatchObject({ code: 'ETIMEOUT', sent: 'envelope' });
        expect(client.closed).toBe(true);
        expect(delivered).toHaveLength(0);
      } finally {
        await server.close({ timeout: 2000 });
      }
    });
  }

  it("does not hold a pool's close() for ever", async () => {
    const { server, delivered } = collectingServer();
    const { port } = await server.listen();
    try {
      const pool = new SmtpPool(`smtp://127.0.0.1:${port}`, { tls: 'none', timeouts: { data: 300 } });
      const stalled = errorOf(pool.send(envelope, stallingStream()));
      await pool.send(envelope, 'Subject: whole\r\n\r\nfine\r\n');
      await pool.close();
      expect((await stalled).code).toBe('ETIMEOUT');
      expect(delivered).toHaveLength(1);
      expect(pool.stats).toMatchObject({ sent: 1, failed: 1, sending: 0 });
    } finally {
      await server.close({ timeout: 2000 });
    }
  });
});
