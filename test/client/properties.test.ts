import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SmtpClient } from '../../src/client/smtp-client.js';
import { memoryPair } from '../../src/transport/memory.js';
import { cutsArb, latin1, smtpBytesArb, splitAt } from '../helpers/bytes.js';
import { collectingServer } from '../helpers/server.js';

/** What a strict reader must receive: bare CR and LF as CRLF, and a final CRLF (DATA's rule). */
function expected(message: Uint8Array): string {
  const text = latin1(message).replace(/\r\n|\r|\n/g, '\r\n');
  return text === '' || text.endsWith('\r\n') ? text : `${text}\r\n`;
}

describe('the client against a strict RFC 5321 reader (our server, bare line ends refused)', () => {
  for (const chunking of [false, true]) {
    it(`property (${chunking ? 'BDAT' : 'DATA'}): any message in any chunking arrives CRLF-normalised, with no early end`, async () => {
      const { server, delivered } = collectingServer({ extensions: { chunking } });
      await fc.assert(
        fc.asyncProperty(smtpBytesArb, cutsArb, async (message, cuts) => {
          const [clientSide, serverSide] = memoryPair();
          server.handle(serverSide);
          const client = await SmtpClient.over(clientSide, { tls: 'none' });
          const chunks = splitAt(message, cuts);
          async function* stream() {
            yield* chunks;
          }
          const before = delivered.length;
          const result = await client.send({ from: 'a@example.com', to: ['b@example.org'] }, stream());
          await client.quit();
          expect(result.reply.code).toBe(250);
          expect(delivered.length).toBe(before + 1);
          expect(delivered.at(-1)?.body).toBe(expected(message));
        }),
        { numRuns: 150 },
      );
    });
  }
});
