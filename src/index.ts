/**
 * `esmtp`: an ESMTP library for TypeScript.
 *
 * - {@link SmtpServer}: an embeddable SMTP server with hooks.
 * - {@link SmtpClient}: sends mail, negotiating STARTTLS, AUTH, PIPELINING and CHUNKING by itself.
 * - {@link SmtpPool}: sends over a few reused connections, under a rate limit.
 * - {@link ServerSession} and {@link ClientSession}: the protocol state, pure, for custom drivers.
 * - The transports: {@link NodeTransport}, {@link memoryPair}.
 * - The protocol pieces most programs need: commands, replies, addresses, lines, DATA.
 *
 * The whole protocol layer is in `esmtp/protocol` and the SASL mechanisms in `esmtp/sasl`; both
 * are pure (no I/O and no Node APIs) and run on every JavaScript runtime.
 * @module esmtp
 */

// The client, and delivery straight to MX hosts.
export {
  type ClientTimeouts,
  type ClientTlsOptions,
  type DeferredRecipient,
  type DeliveredRecipient,
  type DeliverMessage,
  type DeliverOptions,
  type DeliveryResult,
  type DnsResolver,
  type DomainReport,
  deliver,
  type FailedRecipient,
  type MessageInput,
  type MtaStsCache,
  type MtaStsCacheEntry,
  type MtaStsFetch,
  type MtaStsOptions,
  type MtaStsReport,
  type RateLimit,
  type RecipientOutcome,
  type SendOptions,
  SmtpClient,
  type SmtpClientOptions,
  SmtpPool,
  type SmtpPoolOptions,
  type SmtpPoolStats,
} from './client/index.js';
// The protocol pieces most programs need; the rest is in `esmtp/protocol`.
export {
  type Address,
  type Capabilities,
  type Command,
  DotStuffer,
  DotUnstuffer,
  EsmtpError,
  type EsmtpErrorCode,
  encodeReply,
  formatCommand,
  formatPath,
  LineReader,
  type MailParameters,
  type MtaStsParse,
  type MtaStsPolicy,
  type MtaStsRecord,
  mxMatchesPolicy,
  type ParseCommandOptions,
  type ProxyAddresses,
  type ProxyEndpoint,
  type ProxyHeader,
  type ProxySslTlv,
  type ProxyTlv,
  parseCommand,
  parseCommandLine,
  parseMailbox,
  parseMtaStsPolicy,
  parseMtaStsRecord,
  parsePath,
  type RcptParameters,
  Replies,
  type Reply,
  ReplyParser,
  reply,
  type SendProgress,
  SmtpError,
} from './protocol/index.js';
// What the server's `auth.authenticate` is given, and the keys its `auth.scramKeys` returns.
export { type Credentials, type ScramKeys, scramKeys } from './sasl/index.js';
// The server, its options, hooks and events.
export {
  type AuthVerdict,
  type ConnectionRateLimit,
  type DataAnswer,
  type DataHookResult,
  type DefaultState,
  type HookAnswer,
  type HookResult,
  type ListenOptions,
  type ProxyInfo,
  type ProxyProtocolOptions,
  type ProxySslInfo,
  type RecipientOutcomes,
  type RelayClients,
  type RelayPolicy,
  type RelayPolicyOptions,
  relayPolicy,
  type SaslMechanismName,
  type ServerAuthOptions,
  type ServerConnectionLimits,
  type ServerHooks,
  type ServerTimeouts,
  type ServerTlsOptions,
  type SessionInfo,
  SmtpServer,
  type SmtpServerEvents,
  type SmtpServerOptions,
  type SniResolver,
} from './server/index.js';
// The session machines, pure: the server's, and the client's decisions.
export {
  type ClientAuth,
  type ClientEnvelope,
  ClientSession,
  type Envelope,
  type EnvelopePlan,
  type MessageFacts,
  planEnvelope,
  type Recipient,
  type RejectedRecipient,
  type ResetReason,
  type ResolvedServerOptions,
  type SendResult,
  type ServerEvent,
  type ServerExtensions,
  type ServerLimits,
  ServerSession,
  type ServerSessionOptions,
  type SessionAuthOptions,
} from './session/index.js';
// The shape of the `logger` option of the server and the client, and the messages of the
// `esmtp:*` diagnostics channels.
export type { Logger } from './tracing/logger.js';
export type { ConnectionEvent, WireLine } from './tracing/wire.js';
// The transports.
export {
  memoryPair,
  NodeTransport,
  type TlsDetails,
  type Transport,
  type TransportHandlers,
  type TransportInfo,
} from './transport/index.js';
