/**
 * Runs one SMTP AUTH exchange on the server: feeds the client's messages to the SASL mechanism and
 * turns what it finds into the application's decision, through the `auth` hooks.
 * @module
 */
import type { Address } from '../protocol/address.js';
import { SmtpError } from '../protocol/errors.js';
import { type Reply, reply } from '../protocol/reply.js';
import type { ServerMechanism } from '../sasl/types.js';
import { XOAUTH2_FAILURE } from '../sasl/xoauth2.js';
import { AuthReplies } from '../session/auth-lines.js';
import type { ServerSession } from '../session/server-session.js';
import { hookBug, isRefusal } from './hooks.js';
import type { ServerAuthOptions, SessionInfo } from './options.js';
import { serverMechanism } from './sasl-mechanisms.js';

export type AuthOutcome =
  | { readonly challenge: Uint8Array }
  | { readonly user: string; readonly data: unknown }
  /** `delay`: wait the failure delay first (a credentials failure, not a malformed message). */
  | { readonly failure: Reply; readonly delay: boolean };

const TEMPORARY_FAILURE = reply(454, '4.7.0', 'Temporary authentication failure');

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Who authenticated, with what `authenticate` returned for them. */
interface Authenticated {
  readonly name: string;
  readonly data: unknown;
}

export class AuthDriver {
  /** What `authenticate` returned with the user (`{ user, data }`), once one has authenticated. */
  data: unknown;
  private mechanism: ServerMechanism | undefined;
  private refusedToken = false; // XOAUTH2: the error challenge was sent; the next response ends it

  constructor(
    private readonly auth: ServerAuthOptions,
    private readonly session: SessionInfo,
    private readonly hostname: string,
    private readonly mockSecret: Uint8Array,
  ) {}

  /**
   * Takes one step of the exchange and answers it on `session`: a challenge, success, or failure
   * (after `failureDelay` for a credentials failure). A hook that fails with something other than
   * an SmtpError is given to `report` and answered with 454. `alive()` false: nothing is answered.
   */
  async run(
    session: ServerSession,
    name: string,
    response: Uint8Array | undefined,
    failureDelay: number,
    report: (error: unknown) => void,
    alive: () => boolean,
  ): Promise<void> {
    let outcome: AuthOutcome;
    try {
      outcome = await this.step(name, response);
    } catch (error) {
      this.reset();
      report(error);
      outcome = { failure: TEMPORARY_FAILURE, delay: false };
    }
    if ('failure' in outcome && outcome.delay) await sleep(failureDelay);
    if (!alive()) return;
    if ('challenge' in outcome) session.authChallenge(outcome.challenge);
    else if ('user' in outcome) {
      this.data = outcome.data;
      session.authSucceeded(outcome.user);
    } else session.authFailed(outcome.failure);
  }

  /** Drops the exchange in progress (the client cancelled it). */
  reset(): void {
    this.mechanism = undefined;
    this.refusedToken = false;
  }

  /**
   * Takes the client's next message in an exchange of `name`. Hook errors other than SmtpError are
   * thrown for the caller to report; an SmtpError becomes the failure reply.
   */
  async step(name: string, response: Uint8Array | undefined): Promise<AuthOutcome> {
    if (this.refusedToken) {
      this.reset();
      return { failure: AuthReplies.failed, delay: true };
    }
    this.mechanism ??= serverMechanism(name, this.auth, this.session, this.hostname, this.mockSecret);
    const step = await this.mechanism.respond(response);
    switch (step.type) {
      case 'challenge':
        return { challenge: step.challenge };
      case 'malformed':
        this.reset();
        return { failure: AuthReplies.malformed, delay: false };
      case 'failed':
        this.reset();
        return { failure: AuthReplies.failed, delay: true };
    }
    const credentials = step.credentials;
    const user = await this.decide(() => this.verify(credentials));
    if (!('name' in user)) {
      if (credentials.mechanism === 'XOAUTH2' && user === AuthReplies.failed) {
        // XOAUTH2 answers a refused token with an error challenge, then 535 after the client's reply.
        this.refusedToken = true;
        return { challenge: XOAUTH2_FAILURE };
      }
      this.reset();
      return { failure: user, delay: true };
    }
    this.reset();
    return { user: user.name, data: user.data };
  }

  private async verify(
    credentials: Parameters<NonNullable<ServerAuthOptions['authenticate']>>[0],
  ): Promise<Authenticated | Reply> {
    const verdict =
      this.auth.authenticate === undefined
        ? credentials.mechanism === 'SCRAM-SHA-256'
        : await this.auth.authenticate(credentials, this.session);
    if (verdict === false) return AuthReplies.failed;
    const user =
      verdict === true
        ? { name: credentials.username, data: undefined }
        : typeof verdict === 'string'
          ? { name: verdict, data: undefined }
          : { name: verdict.user, data: verdict.data };
    const authzid = 'authzid' in credentials ? credentials.authzid : undefined;
    if (authzid !== undefined && authzid !== user.name) {
      const allowed = (await this.auth.authorize?.(authzid, user.name, this.session)) ?? false;
      return allowed ? { name: authzid, data: user.data } : AuthReplies.failed;
    }
    return user;
  }

  private async decide(run: () => Promise<Authenticated | Reply>): Promise<Authenticated | Reply> {
    try {
      return await run();
    } catch (error) {
      if (isRefusal(error)) return error.reply;
      throw hookBug(error);
    }
  }
}

/** `auth.senderMustMatch`: refuses (553 5.7.1) a sender that is not the authenticated user's own. */
export function checkSender(
  rule: ServerAuthOptions['senderMustMatch'],
  from: Address | null,
  user: string | undefined,
): void {
  if (rule === undefined || rule === false || user === undefined) return;
  const owned =
    typeof rule === 'function' ? rule(from, user) : from?.address.toLowerCase() === user.toLowerCase();
  if (!owned) throw new SmtpError(AuthReplies.senderNotOwned);
}
