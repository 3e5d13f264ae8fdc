// A forwarder: receives mail for one domain and relays each message, as a stream, to another
// server. relayPolicy refuses every other recipient with 550 5.7.1 (no open relay), and the
// message is acknowledged only once the next server has accepted it.
//   node examples/forwarder.mjs LISTEN_PORT NEXT_HOP_URL DOMAIN
import { relayPolicy, SmtpClient, SmtpError, SmtpServer } from 'esmtp';

const [port = '2526', nextHop = 'smtp://127.0.0.1:2525', domain = 'example.org'] = process.argv.slice(2);

const server = new SmtpServer({
  hostname: 'forwarder.localhost',
  onRcptTo: relayPolicy({ localDomains: [domain] }),
  async onData(message, envelope) {
    const client = await SmtpClient.connect(nextHop, { tls: 'opportunistic' });
    try {
      const to = envelope.recipients.map((r) => r.address.address);
      const result = await client.send({ from: envelope.from?.address ?? '', to }, message);
      console.log(`forwarded to ${result.accepted.join(', ')}: ${result.reply.code}`);
    } catch (error) {
      // Whatever the next hop refused, refuse too, so that the sender keeps the message.
      if (error instanceof SmtpError) throw error;
      throw new SmtpError(451, '4.4.1', 'next hop unavailable, try again later');
    } finally {
      await client.quit().catch(() => client.close());
    }
  },
});
const bound = await server.listen({ host: '127.0.0.1', port: Number(port) });
console.log(`forwarding mail for ${domain} from smtp://127.0.0.1:${bound.port} to ${nextHop}`);
process.once('SIGTERM', () => server.close().then(() => process.exit(0)));
