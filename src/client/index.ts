export type { MessageInput } from './message-source.js';
export {
  type ClientTimeouts,
  type ClientTlsOptions,
  type SendOptions,
  SmtpClient,
  type SmtpClientOptions,
} from './smtp-client.js';
