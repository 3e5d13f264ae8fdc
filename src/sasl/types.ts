/**
 * The shapes shared by every SASL mechanism (RFC 4422), server side and client side. Mechanisms are
 * pure: they turn one message into the next and never do I/O; verifying credentials is the
 * application's, through `Credentials`.
 * @module
 */

/** What the client proved or claimed, for the application to check. */
export type Credentials =
  | {
      readonly mechanism: 'PLAIN' | 'LOGIN';
      readonly username: string;
      readonly password: string;
      /** The identity to act as, when the client asked for one other than `username` (PLAIN). */
      readonly authzid?: string;
    }
  | { readonly mechanism: 'XOAUTH2'; readonly username: string; readonly accessToken: string }
  | {
      readonly mechanism: 'CRAM-MD5';
      readonly username: string;
      /** True when the client's digest was made with this password. */
      verify(password: string): boolean;
    }
  | {
      /** The client has already proved it knows the password (checked against the stored keys). */
      readonly mechanism: 'SCRAM-SHA-256';
      readonly username: string;
      readonly authzid?: string;
    };

/** What a server-side mechanism does after a client message. */
export type ServerStep =
  /** Send this challenge (334) and wait for the next response. */
  | { readonly type: 'challenge'; readonly challenge: Uint8Array }
  /** The exchange is complete: check these credentials. */
  | { readonly type: 'credentials'; readonly credentials: Credentials }
  /** The client's message was malformed (501 5.5.2). */
  | { readonly type: 'malformed'; readonly reason: string }
  /** Authentication failed inside the mechanism (535 5.7.8), such as a wrong SCRAM proof. */
  | { readonly type: 'failed' };

export interface ServerMechanism {
  readonly name: string;
  /**
   * Takes the client's next message: the initial response (undefined when the AUTH command had
   * none) or the response to the last challenge.
   */
  respond(response: Uint8Array | undefined): Promise<ServerStep>;
}

export interface ClientMechanism {
  readonly name: string;
  /** The initial response to send with AUTH, or undefined to wait for a challenge. */
  initialResponse(): Promise<Uint8Array | undefined>;
  /**
   * The response to a server challenge. Throws when the server's message is wrong (SCRAM), and
   * when the server challenges past the mechanism's last message: each has a fixed number.
   */
  respond(challenge: Uint8Array): Promise<Uint8Array>;
}
