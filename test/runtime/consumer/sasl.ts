// Type-checked without Node's types by test/package.test.ts.
import { decodeBase64, plainClient } from 'esmtp/sasl';

export async function initial(): Promise<Uint8Array | undefined> {
  const response = await plainClient('alice', 's3cret').initialResponse();
  return response ?? decodeBase64('AA==');
}
