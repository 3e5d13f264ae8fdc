import { spawn } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { findProgram } from './peers.js';
import { freePort } from './ports.js';

/** `dnsmasq` when it is installed (Debian puts it in /usr/sbin), for `describeWithPeer`. */
export const dnsmasqProgram = findProgram(['dnsmasq', '/usr/sbin/dnsmasq'], ['--version']);

/** The records a test zone holds. Every name under `zone` that is not listed does not exist. */
export interface DnsRecords {
  /** The domain dnsmasq answers for with authority (NXDOMAIN and NODATA, never forwarding). */
  zone: string;
  /** MX records; a `host` of `.` with preference 0 is a null MX (RFC 7505). */
  mx?: readonly { domain: string; host: string; preference: number }[];
  /** A and AAAA records. */
  hosts?: readonly { name: string; address: string }[];
  /** TXT records; a text longer than 255 octets (a DKIM key) goes out as several strings. */
  txt?: readonly { name: string; text: string }[];
}

export interface RunningDns {
  /** The server, as `dns.setServers()` and `Resolver#setServers()` take it: `127.0.0.1:PORT`. */
  server: string;
  /** A resolver that asks this server only. */
  resolver: Resolver;
  /** Every query it answered so far, as dnsmasq logged it. */
  log: () => string;
  stop: () => Promise<void>;
}

/** Starts a real DNS server on a loopback port with `records`; resolves once it answers. */
export async function startDnsmasq(program: string, records: DnsRecords): Promise<RunningDns> {
  const port = await freePort();
  const args = [
    '--no-daemon',
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    '--conf-file=/dev/null',
    '--pid-file=',
    '--log-queries',
    `--local=/${records.zone}/`,
    ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    ...(records.mx ?? []).map((r) => `--mx-host=${r.domain},${r.host},${r.preference}`),
    ...(records.hosts ?? []).map((r) => `--host-record=${r.name},${r.address}`),
    ...(records.txt ?? []).map((r) => `--txt-record=${r.name},${txtStrings(r.text)}`),
  ];
  const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    log += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const server = `127.0.0.1:${port}`;
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([server]);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  // It answers once it has bound the port: ask until it does, for at most five seconds.
  for (let attempt = 0; ; attempt++) {
    try {
      await resolver.resolveSoa(records.zone).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENODATA' && error.code !== 'ENOTFOUND') throw error;
      });
      return { server, resolver, log: () => log, stop };
    } catch (error) {
      if (attempt >= 50 || child.exitCode !== null) {
        await stop();
        throw new Error(`dnsmasq did not start: ${String(error)}\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** dnsmasq's form of a TXT record: strings of at most 255 octets, separated by commas. */
function txtStrings(text: string): string {
  if (text.includes(',')) throw new Error(`a TXT record for dnsmasq cannot hold a comma: ${text}`);
  return text.match(/[\s\S]{1,255}/g)?.join(',') ?? '';
}
