/**
 * Writes to Node sockets leave at the end of the event loop's turn rather than one by one: a socket
 * written to is corked, and every corked socket is uncorked together once the turn's input has been
 * handled (`setImmediate`, Node's check phase, after the poll phase's I/O callbacks and their
 * microtasks). Redis writes its replies the same way, just before it polls again.
 *
 * Why: with many connections ready at once, a reply written the moment it is ready wakes its peer,
 * which may answer and fall asleep again before the next reply wakes it once more; each wake-up of
 * a sleeping process costs more than the write itself (far more in a virtual machine, where it
 * takes an interrupt between processors). Replies that leave back to back wake a peer once for all
 * of them. Nothing waits longer than the rest of the turn, and there are no more system calls than
 * before: a socket's writes in one turn leave in one.
 * @module
 */
import { AsyncResource } from 'node:async_hooks';
import type { Socket } from 'node:net';
// Not the global: test suites that fake timers replace that one, and writes would never leave.
import { setImmediate } from 'node:timers';

/** One socket's writes, held until the end of the turn. */
export class TurnWrites {
  // Its writes leave, and what follows from them (a write error, 'drain') happens, in the async
  // context of its connection, not in that of whichever connection was written to first.
  private readonly scope = new AsyncResource('esmtp.TurnWrites');

  /** Holds `socket`'s writes until the end of this turn of the event loop. */
  hold(socket: Socket): void {
    if (socket.writableCorked > 0) return; // held already: only this module corks a transport's socket
    socket.cork();
    if (held.push({ socket, scope: this.scope }) === 1) setImmediate(releaseAll);
  }
}

/** Lets `socket`'s held writes go now (before TLS takes the socket over, or it is destroyed). */
export function releaseNow(socket: Socket): void {
  if (socket.writableCorked > 0) socket.uncork();
}

/** The sockets corked in this turn; one released early (`releaseNow`) is passed over. */
let held: { socket: Socket; scope: AsyncResource }[] = [];

function releaseAll(): void {
  const sockets = held;
  held = []; // a socket written to while these are released waits for the next turn's end
  for (const { socket, scope } of sockets) {
    try {
      scope.runInAsyncScope(releaseNow, null, socket);
    } catch (error) {
      // A stream of the application's that throws as it writes: that connection ends, not the rest.
      socket.destroy(error as Error);
    }
  }
}
