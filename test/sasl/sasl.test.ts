import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cramMd5Client,
  cramMd5Server,
  decodeBase64,
  encodeBase64,
  hmacMd5,
  loginClient,
  loginServer,
  md5,
  plainClient,
  plainServer,
  scramClient,
  scramKeys,
  scramServer,
  xoauth2Client,
  xoauth2Server,
} from '../../src/sasl/index.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytesOf = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('strict base64 (RFC 4648 4)', () => {
  it('encodes and decodes the RFC 4648 10 test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(encodeBase64(bytesOf(plain))).toBe(encoded);
      expect(text(decodeBase64(encoded) as Uint8Array)).toBe(plain);
    }
  });

  it('refuses what Node silently accepts: junk, white space, missing padding, non-zero pad bits', () => {
    for (const bad of [
      'Zm9v!',
      'Zm 9v',
      'Zm9',
      'Zg',
      'Zg=',
      'Z===',
      '=Zg=',
      'Zh==',
      'Zm9=',
      'Zm9vYg==Zg==',
      'Zm\u00e9v',
    ]) {
      expect(decodeBase64(bad), bad).toBeUndefined();
    }
  });

  it('property: decode(encode(bytes)) is the bytes, and encode matches Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const encoded = encodeBase64(bytes);
        expect(encoded).toBe(Buffer.from(bytes).toString('base64'));
        expect(decodeBase64(encoded)).toEqual(bytes);
      }),
    );
  });

  it('property: whatever it decodes is canonical base64', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), (input) => {
        const decoded = decodeBase64(input);
        if (decoded !== undefined) expect(encodeBase64(decoded)).toBe(input);
      }),
    );
  });
});

describe('MD5 and HMAC-MD5', () => {
  it('RFC 1321 A.5 test suite', () => {
    expect(hex(md5(bytesOf('')))).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(hex(md5(bytesOf('abc')))).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(hex(md5(bytesOf('message digest')))).toBe('f96b697d7cb7938d525a2f31aaf161d0');
    expect(hex(md5(bytesOf('1234567890'.repeat(8))))).toBe('57edf4a22be3c955ac49da2e2107b67a');
  });

  it('RFC 2202 2: HMAC-MD5 test case 2', () => {
    expect(hex(hmacMd5(bytesOf('Jefe'), bytesOf('what do ya want for nothing?')))).toBe(
      '750c783e6ab0b503eaa86e310a5db738',
    );
  });

  it('property: the same digests as Node crypto', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 100 }), (message, key) => {
        expect(hex(md5(message))).toBe(createHash('md5').update(message).digest('hex'));
        expect(hex(hmacMd5(key, message))).toBe(createHmac('md5', key).update(message).digest('hex'));
      }),
    );
  });
});

describe('PLAIN (RFC 4616)', () => {
  it('reads authzid, authcid and password', async () => {
    const step = await plainServer().respond(bytesOf('\0tim\0tanstaaftanstaaf'));
    expect(step).toEqual({
      type: 'credentials',
      credentials: { mechanism: 'PLAIN', username: 'tim', password: 'tanstaaftanstaaf' },
    });
    const asOther = await plainServer().respond(bytesOf('Ursel\0Kurt\0xipj3plmq'));
    expect(asOther).toEqual({
      type: 'credentials',
      credentials: { mechanism: 'PLAIN', username: 'Kurt', password: 'xipj3plmq', authzid: 'Ursel' },
    });
  });

  it('needs exactly three parts, a user name and a password', async () => {
    for (const bad of ['tim\0pw', '\0tim\0pw\0extra', '\0\0pw']) {
      expect((await plainServer().respond(bytesOf(bad))).type, JSON.stringify(bad)).toBe('malformed');
    }
    expect((await plainServer().respond(bytesOf('\0tim\0'))).type).toBe('failed');
  });

  it('asks with an empty challenge when there is no initial response; the client answers it', async () => {
    const server = plainServer();
    expect(await server.respond(undefined)).toEqual({ type: 'challenge', challenge: new Uint8Array(0) });
    const client = plainClient('tim', 'secret');
    expect((await server.respond(await client.respond(new Uint8Array(0)))).type).toBe('credentials');
  });
});

describe('LOGIN', () => {
  it('asks for the user name and the password', async () => {
    const server = loginServer();
    const client = loginClient('alice', 's3cret');
    const first = await server.respond(undefined);
    expect(first.type === 'challenge' && text(first.challenge)).toBe('Username:');
    const second = await server.respond(await client.respond((first as { challenge: Uint8Array }).challenge));
    expect(second.type === 'challenge' && text(second.challenge)).toBe('Password:');
    const last = await server.respond(await client.respond((second as { challenge: Uint8Array }).challenge));
    expect(last).toEqual({
      type: 'credentials',
      credentials: { mechanism: 'LOGIN', username: 'alice', password: 's3cret' },
    });
  });

  it('takes the user name as an initial response', async () => {
    const server = loginServer();
    const step = await server.respond(bytesOf('alice'));
    expect(step.type === 'challenge' && text(step.challenge)).toBe('Password:');
  });
});

describe('XOAUTH2', () => {
  it('reads the user and the bearer token', async () => {
    const client = xoauth2Client('someuser@example.com', 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg');
    const step = await xoauth2Server().respond((await client.initialResponse()) as Uint8Array);
    expect(step).toEqual({
      type: 'credentials',
      credentials: {
        mechanism: 'XOAUTH2',
        username: 'someuser@example.com',
        accessToken: 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg',
      },
    });
    expect((await xoauth2Server().respond(bytesOf('user=x'))).type).toBe('malformed');
  });
});

describe('CRAM-MD5 (RFC 2195)', () => {
  it('2: the example exchange', async () => {
    const client = cramMd5Client('tim', 'tanstaaftanstaaf');
    const response = await client.respond(bytesOf('<1896.697170952@postoffice.reston.mci.net>'));
    expect(text(response)).toBe('tim b913a602c7eda7a495b4e6e7334d3890');
  });

  it('the server checks the digest against the password the application gives', async () => {
    const server = cramMd5Server({ hostname: 'mx.test' });
    const challenge = await server.respond(undefined);
    expect(challenge.type === 'challenge' && text(challenge.challenge)).toMatch(/^<[0-9a-f]{24}@mx\.test>$/);
    const step = await server.respond(
      await cramMd5Client('tim', 'right').respond((challenge as { challenge: Uint8Array }).challenge),
    );
    if (step.type !== 'credentials' || step.credentials.mechanism !== 'CRAM-MD5')
      throw new Error('expected credentials');
    expect(step.credentials.verify('right')).toBe(true);
    expect(step.credentials.verify('wrong')).toBe(false);
  });
});

describe('client mechanisms have a fixed number of steps', () => {
  const challenge = bytesOf('Password:');
  it('a challenge past the last step is an error, never the credentials again', async () => {
    const plain = plainClient('tim', 'secret');
    await plain.initialResponse();
    await expect(plain.respond(new Uint8Array(0))).rejects.toThrow(/PLAIN: .*past the last step/);
    const login = loginClient('tim', 'secret');
    await login.respond(bytesOf('Username:'));
    expect(text(await login.respond(challenge))).toBe('secret');
    await expect(login.respond(challenge)).rejects.toThrow(/LOGIN: .*past the last step/);
    const cram = cramMd5Client('tim', 'secret');
    await cram.respond(bytesOf('<1@x>'));
    await expect(cram.respond(bytesOf('<2@x>'))).rejects.toThrow(/CRAM-MD5/);
    const xoauth2 = xoauth2Client('tim', 'token');
    await xoauth2.initialResponse();
    await xoauth2.respond(new Uint8Array(0));
    await expect(xoauth2.respond(new Uint8Array(0))).rejects.toThrow(/XOAUTH2/);
  });

  it('SCRAM: nothing after the server signature is answered', async () => {
    const keys = await scramKeys('pencil', { iterations: 4096 });
    const server = scramServer({ lookup: () => keys });
    const client = scramClient('user', 'pencil');
    let step = await server.respond(await client.initialResponse());
    step = await server.respond(await client.respond((step as { challenge: Uint8Array }).challenge));
    const signature = (step as { challenge: Uint8Array }).challenge;
    expect(await client.respond(signature)).toEqual(new Uint8Array(0));
    await expect(client.respond(signature)).rejects.toThrow(/SCRAM-SHA-256: .*past the last step/);
  });
});

describe('SCRAM-SHA-256 (RFC 7677, RFC 5802)', () => {
  // RFC 7677 3: user "user", password "pencil".
  const clientFirst = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO';
  const serverFirst =
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
  const clientFinal =
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
  const serverFinal = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';
  const salt = decodeBase64('W22ZaJ0SNY7soEsUEjb6gQ==') as Uint8Array;

  it('3: the client side of the example exchange', async () => {
    const client = scramClient('user', 'pencil', { nonce: 'rOprNGfwEbeRWgbNEkqO' });
    expect(text((await client.initialResponse()) as Uint8Array)).toBe(clientFirst);
    expect(text(await client.respond(bytesOf(serverFirst)))).toBe(clientFinal);
    expect(await client.respond(bytesOf(serverFinal))).toEqual(new Uint8Array(0));
  });

  it('3: the server side of the example exchange, against stored keys', async () => {
    const keys = await scramKeys('pencil', { salt, iterations: 4096 });
    const server = scramServer({
      lookup: (u) => (u === 'user' ? keys : undefined),
      nonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    });
    const first = await server.respond(bytesOf(clientFirst));
    expect(first.type === 'challenge' && text(first.challenge)).toBe(serverFirst);
    const final = await server.respond(bytesOf(clientFinal));
    expect(final.type === 'challenge' && text(final.challenge)).toBe(serverFinal);
    expect(await server.respond(new Uint8Array(0))).toEqual({
      type: 'credentials',
      credentials: { mechanism: 'SCRAM-SHA-256', username: 'user' },
    });
  });

  it('a wrong password fails; the client refuses a forged server signature', async () => {
    const keys = await scramKeys('pencil', { iterations: 4096 });
    const server = scramServer({ lookup: () => keys });
    const client = scramClient('user', 'crayon');
    const first = await server.respond(await client.initialResponse());
    const final = await server.respond(await client.respond((first as { challenge: Uint8Array }).challenge));
    expect(final).toEqual({ type: 'failed' });
    const honest = scramClient('user', 'pencil');
    const other = scramServer({ lookup: () => keys });
    const challenge = await other.respond(await honest.initialResponse());
    await honest.respond((challenge as { challenge: Uint8Array }).challenge);
    await expect(honest.respond(bytesOf('v=AAAA'))).rejects.toThrow(/signature/);
  });

  it('an unknown user sees a stable salt, and fails only at the proof', async () => {
    const secret = new Uint8Array(32).fill(7);
    const salts: string[] = [];
    for (let i = 0; i < 2; i++) {
      const server = scramServer({ lookup: () => undefined, mockSecret: secret });
      const client = scramClient('ghost', 'pw');
      const first = await server.respond(await client.initialResponse());
      salts.push(/s=([^,]+)/.exec(text((first as { challenge: Uint8Array }).challenge))?.[1] ?? '');
      const final = await server.respond(
        await client.respond((first as { challenge: Uint8Array }).challenge),
      );
      expect(final).toEqual({ type: 'failed' });
    }
    expect(salts[0]).toBe(salts[1]);
  });

  it('names with "=" and "," are escaped (RFC 5802 5.1); authzid is handed on', async () => {
    const keys = await scramKeys('pw', { iterations: 4096 });
    const server = scramServer({ lookup: (u) => (u === 'a=b,c' ? keys : undefined) });
    const client = scramClient('a=b,c', 'pw', { authzid: 'boss' });
    let step = await server.respond(await client.initialResponse());
    step = await server.respond(await client.respond((step as { challenge: Uint8Array }).challenge));
    step = await server.respond(await client.respond((step as { challenge: Uint8Array }).challenge));
    expect(step).toEqual({
      type: 'credentials',
      credentials: { mechanism: 'SCRAM-SHA-256', username: 'a=b,c', authzid: 'boss' },
    });
  });

  it('5.1: a name with NUL is malformed and never looked up (saslname excludes it)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), fc.boolean(), async (before, after, asAuthzid) => {
        const name = `${before}\0${after}`;
        const looked: string[] = [];
        const server = scramServer({ lookup: (u) => void looked.push(u) });
        const first = asAuthzid ? `n,a=${name},n=user,r=abc` : `n,,n=${name},r=abc`;
        expect((await server.respond(bytesOf(first))).type).toBe('malformed');
        expect(looked).toEqual([]);
      }),
    );
  });

  it('refuses malformed messages', async () => {
    const server = scramServer({ lookup: () => undefined });
    expect((await server.respond(bytesOf('p=tls-unique,,n=user,r=abc'))).type).toBe('malformed');
    expect((await scramServer({ lookup: () => undefined }).respond(bytesOf('n,,n=us=er,r=abc'))).type).toBe(
      'malformed',
    );
  });
});
