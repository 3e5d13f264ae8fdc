/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677), both sides, with Web Crypto. The server checks the client's
 * proof against stored keys, so the application never needs the plaintext password. No channel
 * binding (the `-PLUS` variant) and no SASLprep: names and passwords are used as UTF-8 as given.
 * @module
 */
import { decodeUtf8Strict, encodeUtf8 } from '../protocol/utf8.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { stepLimit } from './steps.js';
import type { ClientMechanism, ServerMechanism, ServerStep } from './types.js';

/** What a server stores for a user instead of the password. */
export interface ScramKeys {
  /** The salt, sent to the client in the clear. */
  readonly salt: Uint8Array;
  /** PBKDF2 iterations used to derive the keys, sent to the client too. */
  readonly iterations: number;
  /** SHA-256 of the client key: checks the client's proof, but cannot make one. */
  readonly storedKey: Uint8Array;
  /** Signs the server's final message, so the client knows the server holds the keys. */
  readonly serverKey: Uint8Array;
}

/** Computes the keys to store for a password (RFC 5802 3). A random 16-octet salt unless given. */
export async function scramKeys(
  password: string,
  options: { salt?: Uint8Array; iterations?: number } = {},
): Promise<ScramKeys> {
  const salt = options.salt ?? crypto.getRandomValues(new Uint8Array(16));
  const iterations = options.iterations ?? 4096;
  const salted = await hi(password, salt, iterations);
  const clientKey = await hmac(salted, 'Client Key');
  return {
    salt,
    iterations,
    storedKey: await sha256(clientKey),
    serverKey: await hmac(salted, 'Server Key'),
  };
}

/** Where a SCRAM-SHA-256 server finds a user's keys. */
export interface ScramServerOptions {
  /** The stored keys of a user, or undefined when there is no such user. */
  lookup(username: string): Promise<ScramKeys | undefined> | ScramKeys | undefined;
  /** The server's part of the nonce; random by default (tests pass a fixed one). */
  nonce?: () => string;
  /**
   * A secret that makes the salt shown for an unknown user stable, so the salt does not tell
   * whether a user exists. Give the same one to every exchange (SmtpServer keeps one per server);
   * without it the salt is random per exchange.
   */
  mockSecret?: Uint8Array;
}

/**
 * The server side: checks the client's proof against the stored keys, then signs its final
 * message. The credentials it hands over need no further password check.
 */
export function scramServer(options: ScramServerOptions): ServerMechanism {
  const nonce = options.nonce ?? randomNonce;
  const mockSecret = options.mockSecret ?? randomBytes(32);
  let state:
    | { step: 'first' }
    | {
        step: 'final';
        username: string;
        authzid: string | undefined;
        keys: ScramKeys | undefined;
        clientFirstBare: string;
        serverFirst: string;
        nonce: string;
        gs2: string;
      }
    | { step: 'done'; username: string; authzid: string | undefined } = { step: 'first' };
  return {
    name: 'SCRAM-SHA-256',
    async respond(response): Promise<ServerStep> {
      if (state.step === 'done') {
        // The client acknowledged the server's signature (an empty response).
        const { username, authzid } = state;
        if (response !== undefined && response.length > 0)
          return { type: 'malformed', reason: 'unexpected data' };
        const credentials =
          authzid === undefined
            ? { mechanism: 'SCRAM-SHA-256' as const, username }
            : { mechanism: 'SCRAM-SHA-256' as const, username, authzid };
        return { type: 'credentials', credentials };
      }
      if (response === undefined) return { type: 'challenge', challenge: new Uint8Array(0) };
      const text = decodeUtf8Strict(response);
      if (text === undefined) return { type: 'malformed', reason: 'SCRAM message is not UTF-8' };
      if (state.step === 'first') {
        const first = parseClientFirst(text);
        if (first === undefined) return { type: 'malformed', reason: 'malformed client-first-message' };
        const keys = (await options.lookup(first.username)) ?? undefined;
        const shown = keys ?? (await mockKeys(first.username, mockSecret));
        const combined = first.nonce + nonce();
        const serverFirst = `r=${combined},s=${encodeBase64(shown.salt)},i=${shown.iterations}`;
        state = { step: 'final', ...first, keys, serverFirst, nonce: combined };
        return { type: 'challenge', challenge: encodeUtf8(serverFirst) };
      }
      const final = /^c=([^,]*),r=([^,]*)(?:,.*)?,p=([^,]*)$/s.exec(text);
      if (final === null) return { type: 'malformed', reason: 'malformed client-final-message' };
      const [, binding, finalNonce, proofText] = final as unknown as [string, string, string, string];
      const proof = decodeBase64(proofText);
      if (
        finalNonce !== state.nonce ||
        binding !== encodeBase64(encodeUtf8(state.gs2)) ||
        proof?.length !== 32
      ) {
        return { type: 'failed' };
      }
      const keys = state.keys;
      if (keys === undefined) return { type: 'failed' };
      const withoutProof = text.slice(0, text.lastIndexOf(',p='));
      const authMessage = `${state.clientFirstBare},${state.serverFirst},${withoutProof}`;
      const clientSignature = await hmac(keys.storedKey, authMessage);
      const clientKey = xor(proof, clientSignature);
      if (!equal(await sha256(clientKey), keys.storedKey)) return { type: 'failed' };
      const serverSignature = await hmac(keys.serverKey, authMessage);
      state = { step: 'done', username: state.username, authzid: state.authzid };
      return { type: 'challenge', challenge: encodeUtf8(`v=${encodeBase64(serverSignature)}`) };
    },
  };
}

/** The optional parts of a SCRAM-SHA-256 client exchange. */
export interface ScramClientOptions {
  /** The client nonce; random by default (tests pass a fixed one). */
  nonce?: string;
  /** The identity to act as, when it is not `username` itself. */
  authzid?: string;
  /**
   * The most PBKDF2 iterations the server may ask for; more is refused before any is computed.
   * Default {@link SCRAM_MAX_ITERATIONS}.
   */
  maxIterations?: number;
}

/**
 * 600,000: what OWASP asks of PBKDF2-HMAC-SHA256 for stored passwords today, so a server that
 * follows current advice is met, and about a quarter of a second of one core's time. RFC 7677
 * asks for at least 4096; servers use 4096 to a few hundred thousand. The count is the server's
 * to choose, so without a bound it could keep a client computing for hours.
 */
export const SCRAM_MAX_ITERATIONS = 600_000;

/**
 * The client side: three messages (its first, its proof, and the acknowledgement of the server's
 * signature). Throws when the server's signature is wrong or it asks for more iterations than
 * `maxIterations`.
 */
export function scramClient(
  username: string,
  password: string,
  options: ScramClientOptions = {},
): ClientMechanism {
  const gs2 = options.authzid === undefined ? 'n,,' : `n,a=${saslName(options.authzid)},`;
  const clientFirstBare = `n=${saslName(username)},r=${options.nonce ?? randomNonce()}`;
  const maxIterations = options.maxIterations ?? SCRAM_MAX_ITERATIONS;
  // client-first, client-final, and the empty acknowledgement of the server's signature.
  const step = stepLimit('SCRAM-SHA-256', 3);
  let expectedServerSignature: string | undefined;
  return {
    name: 'SCRAM-SHA-256',
    async initialResponse() {
      step();
      return encodeUtf8(gs2 + clientFirstBare);
    },
    async respond(challenge) {
      step();
      const text = decodeUtf8Strict(challenge) ?? '';
      if (expectedServerSignature !== undefined) {
        if (text !== `v=${expectedServerSignature}`) throw new Error('SCRAM: the server signature is wrong');
        return new Uint8Array(0);
      }
      const m = /^r=([^,]+),s=([^,]+),i=(\d+)(?:,.*)?$/s.exec(text);
      const salt = m === null ? undefined : decodeBase64(m[2] as string);
      const myNonce = clientFirstBare.slice(clientFirstBare.indexOf(',r=') + 3);
      if (m === null || salt === undefined || !(m[1] as string).startsWith(myNonce)) {
        throw new Error('SCRAM: malformed server-first-message');
      }
      const iterations = Number(m[3]);
      if (iterations < 1 || iterations > maxIterations) {
        throw new Error(
          `SCRAM: the server asks for ${m[3]} iterations; at most ${maxIterations} are allowed`,
        );
      }
      const salted = await hi(password, salt, iterations);
      const clientKey = await hmac(salted, 'Client Key');
      const withoutProof = `c=${encodeBase64(encodeUtf8(gs2))},r=${m[1]}`;
      const authMessage = `${clientFirstBare},${text},${withoutProof}`;
      const proof = xor(clientKey, await hmac(await sha256(clientKey), authMessage));
      expectedServerSignature = encodeBase64(await hmac(await hmac(salted, 'Server Key'), authMessage));
      return encodeUtf8(`${withoutProof},p=${encodeBase64(proof)}`);
    },
  };
}

function parseClientFirst(
  text: string,
):
  | { username: string; authzid: string | undefined; clientFirstBare: string; nonce: string; gs2: string }
  | undefined {
  // gs2-header: "n" (no channel binding) or "y"; "p=" would ask for channel binding, not offered.
  const m = /^([ny]),(?:a=([^,]*))?,(n=([^,]*),r=([^,]+)(?:,.*)?)$/s.exec(text);
  if (m === null) return undefined;
  const username = unSaslName(m[4] as string);
  const authzid = m[2] === undefined ? undefined : unSaslName(m[2]);
  if (username === undefined || username === '' || (m[2] !== undefined && authzid === undefined))
    return undefined;
  const gs2 = text.slice(0, text.length - (m[3] as string).length);
  return { username, authzid, clientFirstBare: m[3] as string, nonce: m[5] as string, gs2 };
}

/** RFC 5802 5.1: `=` and `,` in names are written `=3D` and `=2C`. */
function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** A name as the client wrote it, or undefined when it is not a saslname (a stray `=`, or NUL). */
function unSaslName(text: string): string | undefined {
  if (/=(?!2C|3D)|\0/.test(text)) return undefined;
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

async function mockKeys(username: string, secret: Uint8Array): Promise<ScramKeys> {
  const salt = (await hmac(secret, `salt:${username}`)).slice(0, 16);
  return { salt, iterations: 4096, storedKey: randomBytes(32), serverKey: randomBytes(32) };
}

async function hi(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', buffer(encodeUtf8(password)), 'PBKDF2', false, [
    'deriveBits',
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: buffer(salt), iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

async function hmac(key: Uint8Array, message: string | Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', buffer(key), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const data = typeof message === 'string' ? encodeUtf8(message) : message;
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, buffer(data)));
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buffer(data)));
}

/** A fresh ArrayBuffer holding exactly the bytes (Web Crypto takes buffers, not views of shared ones). */
function buffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((x, i) => x ^ (b[i] as number));
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

function randomNonce(): string {
  return encodeBase64(randomBytes(18));
}
