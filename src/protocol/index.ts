/**
 * `esmtp/protocol`: the pure protocol layer. Command, reply, address and ESMTP parameter grammars,
 * the line reader, DATA dot-stuffing and unstuffing, BDAT chunk counting, xtext, PROXY protocol
 * headers (versions 1 and 2), and the error types. No I/O and no Node APIs: bytes and strings
 * only, so it runs on every JavaScript runtime.
 * @module esmtp/protocol
 */
export { type Address, formatPath, type PathOptions, parseMailbox, parsePath } from './address.js';
export { BdatChunk } from './bdat.js';
export {
  type Command,
  formatCommand,
  type ParseCommandOptions,
  parseCommand,
  parseCommandLine,
  type Verb,
} from './commands.js';
export { DotStuffer, type DotStufferOptions } from './dot-stuffer.js';
export { DotUnstuffer, type DotUnstufferOptions } from './dot-unstuffer.js';
export {
  type Capabilities,
  type EhloReply,
  emptyCapabilities,
  formatEhloReply,
  parseEhloReply,
} from './ehlo.js';
export {
  EsmtpError,
  type EsmtpErrorCode,
  ProxyHeaderError,
  type ProxyHeaderErrorCode,
  type RejectedRecipient,
  type SendProgress,
  SmtpError,
} from './errors.js';
export { LineEndNormalizer } from './line-end-normalizer.js';
export { type LineEvent, LineReader, type LineReaderOptions } from './line-reader.js';
export {
  findMtaStsRecord,
  type MtaStsParse,
  type MtaStsPolicy,
  type MtaStsRecord,
  mxMatchesPolicy,
  parseMtaStsPolicy,
  parseMtaStsRecord,
} from './mta-sts.js';
export {
  type BodyType,
  formatMailParameters,
  formatRcptParameters,
  type MailKeyword,
  type MailParameters,
  type NotifyCondition,
  parseMailParameters,
  parseRcptParameters,
  type RcptKeyword,
  type RcptParameters,
} from './parameters.js';
export {
  formatProxyHeader,
  type ProxyAddresses,
  type ProxyEndpoint,
  type ProxyHeader,
  type ProxyHeaderRead,
  ProxyHeaderReader,
  type ProxyHeaderReaderOptions,
  type ProxySslTlv,
  type ProxyTlv,
} from './proxy-header.js';
export { Replies, type ReplyName } from './replies.js';
export { encodeReply, isEnhancedCode, isPositive, type Reply, reply, replyText } from './reply.js';
export { ReplyParser, type ReplyParserOptions } from './reply-parser.js';
export { decodeXtext, encodeXtext } from './xtext.js';
