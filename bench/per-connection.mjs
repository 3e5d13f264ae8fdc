// The CPU one connection costs the server, without sockets: EHLO, one small message and QUIT over
// memoryPair(), 20,000 times after 2,000 to warm up. Run it against two builds to compare them:
//   node bench/per-connection.mjs [path to a built dist/index.js]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const entry = resolve(process.argv[2] ?? new URL('../dist/index.js', import.meta.url).pathname);
const { SmtpServer, memoryPair } = await import(pathToFileURL(entry).href);
const server = new SmtpServer({ limits: { connections: 1e6, connectionsPerAddress: 1e6 } });
const decoder = new TextDecoder();

function one() {
  const [client, side] = memoryPair();
  return new Promise((done) => {
    let text = '';
    let step = 0;
    client.start({
      data(chunk) {
        text += decoder.decode(chunk);
        if (step === 0 && text.includes('220 ')) {
          step = 1;
          client.write('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n');
        } else if (step === 1 && text.includes('354 ')) {
          step = 2;
          client.write('Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n');
        }
      },
      end: done,
    });
    server.handle(side);
  });
}

for (let i = 0; i < 2000; i++) await one();
const start = process.cpuUsage();
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20000);
for (let i = 0; i < connections; i++) await one();
const used = process.cpuUsage(start);
console.log(`${entry}: ${((used.user + used.system) / connections).toFixed(1)} µs of CPU per connection`);
