/**
 * `esmtp/sasl`: SASL mechanisms (RFC 4422) for SMTP AUTH (RFC 4954), pure, step by step, both
 * sides: PLAIN, LOGIN, CRAM-MD5, XOAUTH2 and SCRAM-SHA-256; the strict base64 that AUTH lines use,
 * and the MD5 that CRAM-MD5 needs (Web Crypto has none). Beyond that they need only Web Crypto,
 * so they run on every JavaScript runtime.
 * @module esmtp/sasl
 */
export { decodeBase64, encodeBase64 } from './base64.js';
export { type CramMd5ServerOptions, cramMd5Client, cramMd5Server } from './cram-md5.js';
export { loginClient, loginServer } from './login.js';
export { hmacMd5, md5 } from './md5.js';
export { plainClient, plainServer } from './plain.js';
export {
  SCRAM_MAX_ITERATIONS,
  type ScramClientOptions,
  type ScramKeys,
  type ScramServerOptions,
  scramClient,
  scramKeys,
  scramServer,
} from './scram.js';
export type { ClientMechanism, Credentials, ServerMechanism, ServerStep } from './types.js';
export { XOAUTH2_FAILURE, xoauth2Client, xoauth2Server } from './xoauth2.js';
