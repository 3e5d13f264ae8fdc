export type { ConnectionRateLimit } from './connection-rate.js';
export type {
  AuthVerdict,
  DataAnswer,
  DataHookResult,
  DefaultState,
  HookAnswer,
  HookResult,
  ProxyProtocolOptions,
  RecipientOutcomes,
  SaslMechanismName,
  ServerAuthOptions,
  ServerConnectionLimits,
  ServerHooks,
  ServerTimeouts,
  SessionInfo,
  SmtpServerOptions,
} from './options.js';
export type { ProxyInfo, ProxySslInfo } from './proxy-info.js';
export {
  type RelayClients,
  type RelayPolicy,
  type RelayPolicyOptions,
  relayPolicy,
} from './relay-policy.js';
export { type ListenOptions, SmtpServer, type SmtpServerEvents } from './smtp-server.js';
export type { ServerTlsOptions, SniResolver } from './tls.js';
