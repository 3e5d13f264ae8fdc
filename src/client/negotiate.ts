/**
 * Everything between connecting and the first MAIL: the greeting, EHLO (HELO as a fallback),
 * STARTTLS per the TLS mode, and AUTH.
 * @module
 */
import { EsmtpError, SmtpError } from '../protocol/errors.js';
import type { Reply } from '../protocol/reply.js';
import { decodeBase64, encodeBase64 } from '../sasl/base64.js';
import { cramMd5Client } from '../sasl/cram-md5.js';
import { loginClient } from '../sasl/login.js';
import { plainClient } from '../sasl/plain.js';
import { scramClient } from '../sasl/scram.js';
import type { ClientMechanism } from '../sasl/types.js';
import { xoauth2Client } from '../sasl/xoauth2.js';
import { type ClientAuth, type ClientSession, chooseMechanism } from '../session/client-session.js';
import { type ClientConnection, NO_TLS } from './client-connection.js';

export interface NegotiationOptions {
  /** The name to give in EHLO. */
  name: string;
  tls: 'required' | 'opportunistic' | 'none';
  /** Options for the TLS handshake (Node: tls.connect options, with servername and ca). */
  tlsOptions: object;
  auth: ClientAuth | undefined;
  allowInsecureAuth: boolean;
  greetingTimeout: number;
  commandTimeout: number;
  signal: AbortSignal | undefined;
}

/** The longest AUTH line that may carry an initial response (RFC 4954 4: the command line limit). */
const MAX_AUTH_LINE = 512;

export async function negotiate(
  conn: ClientConnection,
  session: ClientSession,
  o: NegotiationOptions,
): Promise<void> {
  const greeting = await conn.reply(o.greetingTimeout, o.signal);
  if (greeting.code !== 220) throw refused(conn, greeting);
  await hello(conn, session, o);
  if (o.tls !== 'none' && !session.secure) await startTls(conn, session, o);
  if (o.auth !== undefined) await authenticate(conn, session, o.auth, o);
}

/** One command and its reply. */
export async function command(
  conn: ClientConnection,
  line: string,
  timeout: number,
  signal?: AbortSignal,
): Promise<Reply> {
  await conn.write(`${line}\r\n`, 1, timeout, signal);
  return conn.reply(timeout, signal);
}

/** A reply that ends the connection: 421 closes it (RFC 5321 3.8), as does a refused greeting. */
export function refused(conn: ClientConnection, reply: Reply): SmtpError {
  const error = new SmtpError(reply);
  conn.fail(new EsmtpError('ECONNECTION', `the server closed the session: ${error.message}`, { reply }));
  return error;
}

async function hello(conn: ClientConnection, session: ClientSession, o: NegotiationOptions): Promise<void> {
  const verb = session.lmtp ? 'LHLO' : 'EHLO';
  const reply = await command(conn, `${verb} ${o.name}`, o.commandTimeout, o.signal);
  if (reply.code === 250) return session.learn(reply);
  if (reply.code === 421 || session.lmtp || reply.code < 500) throw refused(conn, reply);
  // RFC 5321 3.2: a server that does not know EHLO is asked with HELO.
  const helo = await command(conn, `HELO ${o.name}`, o.commandTimeout, o.signal);
  if (helo.code !== 250) throw refused(conn, helo);
  session.forget();
}

async function startTls(
  conn: ClientConnection,
  session: ClientSession,
  o: NegotiationOptions,
): Promise<void> {
  // A transport that cannot start TLS makes an offered STARTTLS as good as none: asking would
  // only end the session after the server's 220.
  if (!session.capabilities.startTls || !conn.canStartTls) {
    if (o.tls === 'required')
      throw tlsFailure(conn, session.capabilities.startTls ? NO_TLS : 'the server does not offer STARTTLS');
    return;
  }
  conn.pauseAfterNextReply(); // no read pending when TLS starts
  const reply = await command(conn, 'STARTTLS', o.commandTimeout, o.signal);
  if (reply.code !== 220) conn.resumeInput();
  if (reply.code === 421) throw refused(conn, reply);
  if (reply.code !== 220) {
    if (o.tls === 'required')
      throw tlsFailure(conn, `the server refused STARTTLS: ${reply.code} ${reply.lines.join(' ')}`);
    return;
  }
  await conn.startTls(o.tlsOptions, o.commandTimeout, o.signal);
  session.secure = true;
  // RFC 3207 4.2: forget what the server said before TLS, and ask again.
  session.forget();
  await hello(conn, session, o);
}

function tlsFailure(conn: ClientConnection, message: string): EsmtpError {
  const error = new EsmtpError('ETLS', message);
  conn.fail(error);
  return error;
}

async function authenticate(
  conn: ClientConnection,
  session: ClientSession,
  auth: ClientAuth,
  o: NegotiationOptions,
): Promise<void> {
  if (!session.secure && !o.allowInsecureAuth) {
    const error = new EsmtpError('EAUTH', 'credentials are never sent without TLS (see allowInsecureAuth)');
    conn.fail(error);
    throw error;
  }
  const name = chooseMechanism(session.capabilities.auth, auth);
  const mechanism =
    'accessToken' in auth
      ? xoauth2Client(auth.username, await accessToken(conn, auth.accessToken, o))
      : passwordMechanism(name, auth);
  const initial = await mechanism.initialResponse();
  const withInitial = initial === undefined ? undefined : `AUTH ${name} ${encodeBase64(initial) || '='}`;
  let reply =
    withInitial !== undefined && withInitial.length + 2 <= MAX_AUTH_LINE
      ? await command(conn, withInitial, o.commandTimeout, o.signal)
      : await command(conn, `AUTH ${name}`, o.commandTimeout, o.signal);
  let sentInitial = withInitial !== undefined && withInitial.length + 2 <= MAX_AUTH_LINE;
  while (reply.code === 334) {
    const challenge = decodeBase64(reply.lines[0] ?? '');
    let response: Uint8Array;
    try {
      if (challenge === undefined) throw new Error('the server sent a challenge that is not base64');
      // An initial response held back for length goes after the first (empty) challenge.
      response =
        !sentInitial && initial !== undefined
          ? initial
          : // A SCRAM key derivation takes time: it counts against the command's deadline.
            await conn.within(
              mechanism.respond(challenge),
              o.commandTimeout,
              o.signal,
              `the ${name} response took longer than ${o.commandTimeout} ms`,
            );
      sentInitial = true;
    } catch (error) {
      if (error instanceof EsmtpError) throw error; // ETIMEOUT or EABORT: the connection is closed
      await command(conn, '*', o.commandTimeout, o.signal);
      throw new EsmtpError('EAUTH', `authentication failed: ${(error as Error).message}`);
    }
    reply = await command(conn, encodeBase64(response), o.commandTimeout, o.signal);
  }
  if (reply.code === 421) throw refused(conn, reply);
  if (reply.code !== 235) {
    throw new EsmtpError(
      'EAUTH',
      `authentication failed: ${reply.code} ${reply.enhanced ?? ''} ${reply.lines.join(' ')}`.trim(),
      { reply },
    );
  }
  session.authenticated = true;
}

/**
 * The token to send: the string given, or what the function gives this time. A token endpoint
 * that hangs must not hold the connection: the call counts against the command timeout and the
 * signal (ETIMEOUT, EABORT). A function that fails, or gives no token, is EAUTH with the cause.
 */
function accessToken(
  conn: ClientConnection,
  source: string | (() => string | Promise<string>),
  o: NegotiationOptions,
): Promise<string> {
  if (typeof source === 'string') return Promise.resolve(source);
  const token = Promise.resolve()
    .then(source) // a function that throws at once rejects here too
    .then(
      (value: unknown) => {
        if (typeof value === 'string' && value !== '') return value;
        throw new EsmtpError('EAUTH', `the accessToken function gave no token (${typeof value})`);
      },
      (cause: unknown) => {
        const why = cause instanceof Error ? cause.message : String(cause);
        throw new EsmtpError('EAUTH', `the accessToken function failed: ${why}`, { cause });
      },
    );
  return conn.within(
    token,
    o.commandTimeout,
    o.signal,
    `the accessToken function gave no token within ${o.commandTimeout} ms`,
  );
}

function passwordMechanism(name: string, auth: Extract<ClientAuth, { password: string }>): ClientMechanism {
  switch (name) {
    case 'SCRAM-SHA-256':
      return scramClient(auth.username, auth.password, { maxIterations: auth.maxScramIterations });
    case 'LOGIN':
      return loginClient(auth.username, auth.password);
    case 'CRAM-MD5':
      return cramMd5Client(auth.username, auth.password);
    default:
      return plainClient(auth.username, auth.password);
  }
}
