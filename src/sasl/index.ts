/**
 * SASL mechanisms (RFC 4422) for SMTP AUTH (RFC 4954): pure, step by step, both sides.
 * @module
 */
export * from './base64.js';
export * from './cram-md5.js';
export * from './login.js';
export { hmacMd5, md5 } from './md5.js';
export * from './plain.js';
export * from './scram.js';
export * from './types.js';
export * from './xoauth2.js';
