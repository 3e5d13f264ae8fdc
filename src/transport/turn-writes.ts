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
 * of them. Nothing waits longer than the rest of the turn, and the system calls are the same: one
 * write per socket and turn, as before (a socket's writes in one turn were one write already).
 * @module
 */
import type { Socket } from 'node:net';

/** Sockets corked in this turn; one that was uncorked early (`releaseNow`) is uncorked again harmlessly. */
let corked: Socket[] = [];

/** Holds `socket`'s writes until the end of this turn of the event loop. */
export function holdUntilTurnEnds(socket: Socket): void {
  if (socket.writableCorked > 0) return; // held already: only this module corks a transport's socket
  socket.cork();
  if (corked.push(socket) === 1) setImmediate(releaseAll);
}

/** Lets `socket`'s held writes go now (before TLS takes the socket over, or it is destroyed). */
export function releaseNow(socket: Socket): void {
  if (socket.writableCorked > 0) socket.uncork();
}

function releaseAll(): void {
  const sockets = corked;
  corked = []; // a socket written to while these are uncorked waits for the next turn's end
  for (const socket of sockets) releaseNow(socket);
}
