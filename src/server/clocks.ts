/**
 * The deadlines of one connection, so that nothing it waits for waits for ever:
 *
 * - the client's: a command must arrive whole within `timeouts.command` of the server starting to
 *   wait for it, a message within `timeouts.data` plus a second per `minDataRate` octets;
 * - the peer taking our writes: `timeouts.command` for each write that waits on it;
 * - the application's: whatever the connection awaits (a hook, above all) within `timeouts.hook`.
 *
 * None of them is moved by what the peer sends meanwhile.
 * @module
 */
import { Deadline } from './deadline.js';
import type { ServerSettings } from './settings.js';

/** What each deadline does when it passes. */
export interface ClockAlarms {
  /** The client was too slow sending a command or its message. */
  client(): void;
  /** The peer did not take a write in time. */
  write(): void;
  /** What the connection awaited did not settle in time. */
  hook(): void;
}

export class ConnectionClocks {
  private readonly client: Deadline;
  private readonly write: Deadline;
  private readonly hook: Deadline;
  private dataStart = 0;
  private received = 0;

  /** `awaiting()` tells whether the connection awaits the application (the client is not slow then). */
  constructor(
    private readonly timeouts: ServerSettings['timeouts'],
    alarms: ClockAlarms,
    awaiting: () => boolean,
  ) {
    this.client = new Deadline(() => alarms.client(), awaiting);
    this.write = new Deadline(() => alarms.write(), never);
    this.hook = new Deadline(() => alarms.hook(), never);
  }

  /** Octets arrived from the client: they extend a message's deadline by their rate. */
  receive(octets: number): void {
    this.received += octets;
  }

  /** A message begins: its deadline counts from now. */
  messageStarted(): void {
    this.dataStart = Date.now();
    this.received = 0;
  }

  /** A command arrived: the next one gets a deadline of its own once the server waits for it. */
  commandArrived(): void {
    this.client.clear();
  }

  /** The server waits for the client: for a command, or for more of its message. */
  waitForClient(inMessage: boolean): void {
    const t = this.timeouts;
    if (inMessage) this.client.set(this.dataStart + t.data + (this.received / t.minDataRate) * 1000);
    else if (!this.client.armed) this.client.set(Date.now() + t.command);
  }

  /** A write waits for the peer to take it; the promise settles once it has. */
  waitForWrite(written: Promise<void>): Promise<void> {
    this.write.set(Date.now() + this.timeouts.command);
    return written.then(() => this.write.clear());
  }

  /** The connection awaits the application, until `settled()`. */
  waitForHook(): void {
    this.hook.set(Date.now() + this.timeouts.hook);
  }

  settled(): void {
    this.hook.clear();
  }

  stop(): void {
    this.client.stop();
    this.write.stop();
    this.hook.stop();
  }
}

const never = () => false;
