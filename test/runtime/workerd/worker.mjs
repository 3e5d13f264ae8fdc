// A Worker that uses esmtp/web (the built dist/web.js) on workerd with nodejs_compat off, run by
// web-runtimes.test.ts through config.capnp. GET /?port=N runs the pure layers in memory and sends
// one message with STARTTLS and AUTH PLAIN to 127.0.0.1:N through cloudflare:sockets; the
// response is what each part made, as JSON.
import { connect } from 'cloudflare:sockets';
import {
  connectCloudflare,
  formatCommand,
  parseCommand,
  ReplyParser,
  ServerSession,
  SmtpClient,
  scramClient,
  scramKeys,
  scramServer,
} from 'esmtp/web';

export default {
  async fetch(request) {
    const port = Number(new URL(request.url).searchParams.get('port'));
    const outcome = {
      protocol: protocol(),
      sasl: await sasl(),
      session: session(),
      send: await send(port),
    };
    return Response.json(outcome);
  },
};

/** Parses a command and formats it back; parses a multi-line reply. */
function protocol() {
  const command = parseCommand('MAIL FROM:<alice@example.com> SIZE=1000');
  const parser = new ReplyParser();
  parser.push(new TextEncoder().encode('250-mx.example\r\n250 SIZE 1000\r\n'));
  const reply = parser.next();
  return { command: formatCommand(command), reply: [reply.code, ...reply.lines] };
}

/** A whole SCRAM-SHA-256 exchange, both sides, on the runtime's Web Crypto. */
async function sasl() {
  const keys = await scramKeys('s3cret', { iterations: 4096 });
  const server = scramServer({ lookup: (user) => (user === 'alice' ? keys : undefined) });
  const client = scramClient('alice', 's3cret');
  let step = await server.respond(await client.initialResponse());
  while (step.type === 'challenge') step = await server.respond(await client.respond(step.challenge));
  return step.type === 'credentials' ? step.credentials.username : step.type;
}

/** One transaction through a ServerSession, bytes in and events out, every decision accepted. */
function session() {
  const server = new ServerSession({ hostname: 'mx.example' });
  const codes = [server.greeting().reply.code];
  const send = (text) => {
    server.push(new TextEncoder().encode(text));
    for (let event = server.next(); event !== undefined; event = server.next()) {
      if (event.type === 'reply') codes.push(event.reply.code);
      if (['helo', 'mail', 'rcpt', 'message-end'].includes(event.type)) server.accept();
    }
  };
  send('EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n');
  // The message goes after the 354, as a client must send it.
  send('Subject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n');
  return codes;
}

/** STARTTLS and AUTH PLAIN to the test's server, which the runtime's trust store knows. */
async function send(port) {
  try {
    const transport = await connectCloudflare(connect, { hostname: '127.0.0.1', port }, { timeout: 2000 });
    const client = await SmtpClient.over(
      transport,
      {
        tls: 'required',
        auth: { username: 'alice', password: 's3cret', mechanism: 'PLAIN' },
        timeouts: { greeting: 2000, command: 2000, data: 2000 },
      },
      'localhost',
    );
    const sent = await client.send(
      { from: 'alice@example.com', to: ['bob@example.org'] },
      'Subject: Workers\r\n\r\nsent from workerd\r\n',
    );
    await client.quit();
    return { secure: client.secure, authenticated: client.authenticated, accepted: sent.accepted };
  } catch (error) {
    return { name: error.name, code: error.code, message: error.message };
  }
}
