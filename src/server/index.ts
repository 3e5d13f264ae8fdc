export type {
  DataEnvelope,
  ServerConnectionLimits,
  ServerHooks,
  ServerTimeouts,
  SessionInfo,
  SmtpServerOptions,
} from './options.js';
export { type ListenOptions, SmtpServer } from './smtp-server.js';
