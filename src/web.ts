/**
 * `esmtp/web`: what runs without Node. The protocol layer (as in `esmtp/protocol`), the SASL
 * mechanisms (as in `esmtp/sasl`), the session machines, and {@link SmtpClient} over web streams:
 * {@link connectDeno} on Deno, {@link connectCloudflare} on Cloudflare Workers, or a
 * {@link WebStreamsTransport} over any socket that speaks `ReadableStream`/`WritableStream`. It
 * imports no `node:` module, and its declarations need no Node types.
 *
 * Serving is Node's (`SmtpServer` in `esmtp`); the pure {@link ServerSession} is here for a driver
 * of your own.
 * @module esmtp/web
 */

// The client: the same as `esmtp`'s, without `connect(url)`; connect with a connector below.
export {
  type ClientTimeouts,
  type ClientTlsOptions,
  type SendOptions,
  SmtpClient,
  type SmtpClientOptions,
} from './client/client-core.js';
export type { MessageInput } from './client/message-source.js';
// The protocol layer and the SASL mechanisms, whole.
export * from './protocol/index.js';
export * from './sasl/index.js';
// The session machines, pure: the server's, and the client's decisions (as in `esmtp`).
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
// The shape of the client's `logger` option.
export type { Logger } from './tracing/logger.js';
// Transports: the interface, an in-process pair, web streams, and the runtimes' connectors.
export {
  type CloudflareConnect,
  type CloudflareConnectOptions,
  type CloudflareSocket,
  type CloudflareSocketInfo,
  connectCloudflare,
} from './transport/cloudflare.js';
export type { ConnectWait } from './transport/connect-deadline.js';
export { connectDeno, type DenoConnectOptions } from './transport/deno.js';
export { memoryPair } from './transport/memory.js';
export type { TlsDetails, Transport, TransportHandlers, TransportInfo } from './transport/transport.js';
export {
  type TlsUpgrade,
  type WebStreams,
  WebStreamsTransport,
  type WebStreamsTransportOptions,
  type WebTlsOptions,
} from './transport/web-streams.js';
