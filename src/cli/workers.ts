/**
 * `esmtp serve --workers N`: one process per core. The primary forks N workers that run the same
 * server and share its listening sockets through node:cluster. It replaces a worker that dies,
 * forwards SIGHUP, and on SIGTERM or SIGINT has every worker finish its open messages, then adds
 * up what they delivered.
 * @module
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { integer } from './args.js';
import { type CliLog, flushLog } from './log.js';

/**
 * How the process that serves is told to stop or to reload its certificate, and where its banner
 * and its count go: its own stdout and log when it runs alone, the primary when it is a worker.
 */
export interface Supervision {
  /** The banner, once every server listens. */
  announce(banner: string): void;
  /** Calls `stop` when the process is to stop, `reload` when the certificate is to be read again. */
  watch(stop: () => void, reload: () => void): void;
  /** Every server is closed: reports the count, and ends the process. */
  stopped(delivered: number): void;
}

/** From the primary to a worker. */
type Order = { type: 'stop' } | { type: 'reload' };
/** From a worker to the primary. */
type Report = { type: 'listening'; banner: string } | { type: 'stopped'; delivered: number };

/** A worker that crashes at start would be replaced forever: this many deaths ... */
const DEATHS = 5;
/** ... within this many milliseconds, and the primary gives up. */
const DEATHS_WITHIN = 10_000;
/** How long stopping workers get: their servers' 30 s to finish open messages, and some to report. */
const STOP_DEADLINE = 35_000;

/** `--workers`: a count, or `auto` for one per core. */
export function workerCount(text: string | undefined): number | undefined {
  if (text === 'auto') return availableParallelism();
  return integer(text, 'workers');
}

/** The primary: forks `count` workers and looks after them until told to stop. */
export function superviseWorkers(count: number, log: CliLog): void {
  const live = new Set<Worker>();
  const listening = new Set<Worker>();
  const reported = new Set<Worker>();
  const deaths: number[] = [];
  let announced = false;
  let delivered = 0;
  let stopping = false;
  let status = 0;

  const start = () => {
    const worker = cluster.fork();
    live.add(worker);
    // A message to a worker whose channel just closed errors here: its exit says the rest.
    worker.on('error', () => {});
    worker.on('message', (report: Report) => {
      if (report.type === 'stopped') {
        reported.add(worker);
        delivered += report.delivered;
        return;
      }
      listening.add(worker);
      log.info({ pid: worker.process.pid }, 'worker listening');
      // Told to stop while this one started: it hears only now (see `tell`).
      if (stopping) worker.send({ type: 'stop' } satisfies Order);
      if (!announced && listening.size === count) {
        announced = true;
        process.stdout.write(report.banner);
      }
    });
  };

  // Only workers that listen hear orders: one still starting has no ear for them yet (its modules
  // load while the channel already delivers, and a message nobody listens for is lost). It reads
  // the certificate as it starts anyway, and a stop reaches it once it reports that it listens.
  const tell = (order: Order) => {
    for (const worker of listening) if (worker.isConnected()) worker.send(order);
  };

  const finish = () => {
    if (live.size > 0) return;
    log.info({}, `stopped: ${delivered} messages delivered`);
    flushLog();
    process.exit(status);
  };

  const stop = (exitStatus: number) => {
    if (stopping) return;
    stopping = true;
    status = exitStatus;
    log.info({}, 'stopping: finishing open messages');
    tell({ type: 'stop' });
    setTimeout(() => {
      for (const worker of live) {
        log.error({ pid: worker.process.pid }, 'worker still running at the deadline: killed');
        worker.process.kill('SIGKILL');
      }
    }, STOP_DEADLINE).unref();
    finish();
  };

  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker);
    listening.delete(worker);
    const how = { pid: worker.process.pid, status: signal ?? code };
    if (stopping) {
      if (!reported.has(worker)) {
        // Whatever it delivered is in the Maildir, but not in the count.
        status = 1;
        log.error(how, 'worker ended without reporting its count');
      }
      finish();
      return;
    }
    const now = Date.now();
    deaths.push(now);
    while ((deaths[0] as number) < now - DEATHS_WITHIN) deaths.shift();
    if (deaths.length >= DEATHS) {
      log.error(how, `worker died, ${deaths.length} in ${DEATHS_WITHIN / 1000} s: giving up`);
      stop(1);
      return;
    }
    log.warn(how, 'worker died: starting another');
    start();
  });

  // Kept for a second signal too: the default action would end the primary while workers drain.
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  process.on('SIGHUP', () => tell({ type: 'reload' }));
  for (let i = 0; i < count; i++) start();
}

/** A worker: the primary says when to stop and to reload, and gets its banner and its count. */
export function worker(): Supervision {
  const report = (message: Report, then?: () => void) =>
    process.send?.(message, undefined, undefined, () => then?.());
  return {
    announce: (banner) => report({ type: 'listening', banner }),
    watch(stop, reload) {
      process.on('message', (order: Order) => (order.type === 'stop' ? stop() : reload()));
      // Ctrl-C and systemd (KillMode=control-group) signal the whole group: the worker stops on
      // them as on the primary's word. A hangup of the group reaches the primary too, which
      // forwards it: taken here as well, it would reload twice.
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      process.on('SIGHUP', () => {});
    },
    stopped(delivered) {
      flushLog();
      report({ type: 'stopped', delivered }, () => process.exit(0));
    },
  };
}
