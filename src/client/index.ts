export type { MessageInput } from './message-source.js';
export { SmtpPool, type SmtpPoolOptions, type SmtpPoolStats } from './pool.js';
export type { RateLimit } from './rate-limit.js';
export {
  type ClientTimeouts,
  type ClientTlsOptions,
  type SendOptions,
  SmtpClient,
  type SmtpClientOptions,
} from './smtp-client.js';
