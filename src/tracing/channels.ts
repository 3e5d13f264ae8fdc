/**
 * The `node:diagnostics_channel` channels that the server and the Node client publish on (see
 * `./wire.ts` for what each message is).
 * @module
 */
import { channel } from 'node:diagnostics_channel';
import type { WireChannels } from './wire.js';

export const serverChannels: WireChannels = {
  command: channel('esmtp:server:command'),
  reply: channel('esmtp:server:reply'),
};

export const clientChannels: WireChannels = {
  command: channel('esmtp:client:command'),
  reply: channel('esmtp:client:reply'),
};

/** Connections that came (`esmtp:server:connect`) or went (`esmtp:server:close`). */
export const connectionChannels = {
  connect: channel('esmtp:server:connect'),
  close: channel('esmtp:server:close'),
} as const;
