export type {
  DataEnvelope,
  SaslMechanismName,
  ServerAuthOptions,
  ServerConnectionLimits,
  ServerHooks,
  ServerTimeouts,
  SessionInfo,
  SmtpServerOptions,
} from './options.js';
export { type ListenOptions, SmtpServer } from './smtp-server.js';
export type { ServerTlsOptions, SniResolver } from './tls.js';
