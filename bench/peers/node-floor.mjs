// The floor for any SMTP server written on Node's net module: canned replies, no parsing beyond
// the verb, no checks, the end of a message found by its last five bytes. Not a server (it trusts
// the client completely); it shows what Node's sockets alone cost, in CPU and in memory.
//   node bench/peers/node-floor.mjs PORT [--reuse-read-buffer]
// With --reuse-read-buffer every connection reads into one buffer of its own instead of a new
// one per read, as Node's `onread` option does for client sockets. Accepted sockets have no such
// option, so this reaches for the undocumented `socket._handle`: a measurement, not a technique.
// Prints "listening"; on SIGTERM prints "delivered N" and exits.
import net from 'node:net';

const reuse = process.argv.includes('--reuse-read-buffer');
let delivered = 0;

function serve(socket, onChunk) {
  let data = false;
  let tail = '';
  socket.setNoDelay(true);
  socket.on('error', () => {});
  socket.write('220 floor ESMTP\r\n');
  onChunk((chunk) => {
    if (data) {
      tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - 5))).slice(-5);
      if (tail === '\r\n.\r\n') {
        data = false;
        tail = '';
        delivered++;
        socket.write('250 2.0.0 ok\r\n');
      }
      return;
    }
    let out = '';
    for (const line of chunk.toString('latin1').split('\r\n')) {
      if (line === '') continue;
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO') out += '250-floor\r\n250 PIPELINING\r\n';
      else if (verb === 'DATA') {
        out += '354 go ahead\r\n';
        data = true;
      } else if (verb === 'QUIT') {
        socket.end(`${out}221 bye\r\n`);
        return;
      } else out += '250 2.0.0 ok\r\n';
    }
    if (out !== '') socket.write(out);
  });
}

const server = net.createServer({ pauseOnConnect: reuse }, (accepted) => {
  if (!reuse) {
    serve(accepted, (handler) => accepted.on('data', handler));
    return;
  }
  const handle = accepted._handle;
  accepted._handle = null;
  let handler;
  const buffer = Buffer.allocUnsafe(65536);
  const socket = new net.Socket({
    handle,
    readable: true,
    writable: true,
    onread: { buffer, callback: (n, b) => handler(b.subarray(0, n)) },
  });
  serve(socket, (h) => {
    handler = h;
  });
  socket.resume();
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => {
  console.log(`delivered ${delivered}`);
  process.exit(0);
});
