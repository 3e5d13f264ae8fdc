export { deliver } from './deliver/deliver.js';
export type {
  DeferredRecipient,
  DeliveredRecipient,
  DeliverMessage,
  DeliverOptions,
  DeliveryResult,
  DnsResolver,
  DomainReport,
  FailedRecipient,
  MtaStsCache,
  MtaStsCacheEntry,
  MtaStsFetch,
  MtaStsOptions,
  MtaStsReport,
  RecipientOutcome,
} from './deliver/types.js';
export type { MessageInput } from './message-source.js';
export { SmtpPool } from './pool.js';
export type { SmtpPoolOptions, SmtpPoolStats } from './pool-options.js';
export type { RateLimit } from './rate-limit.js';
export {
  type ClientTimeouts,
  type ClientTlsOptions,
  type SendOptions,
  SmtpClient,
  type SmtpClientOptions,
} from './smtp-client.js';
