/**
 * The shapes shared by every SASL mechanism (RFC 4422), server side and client side. Mechanisms are
 * pure: they turn one message into the next and never do I/O; verifying credentials is the
 * application's, through `Credentials`.
 * @module
 */

/** What the client proved or claimed, for the application to check. */
export type Credentials =
  | {
      /** The mechanism used: the password was sent as it is (over TLS, one hopes). */
      readonly mechanism: 'PLAIN' | 'LOGIN';
      /** The user name the client gave (the authentication identity). */
      readonly username: string;
      /** The password the client gave, to check. */
      readonly password: string;
      /** The identity to act as, when the client asked for one other than `username` (PLAIN). */
      readonly authzid?: string;
    }
  | {
      /** The mechanism used: an OAuth 2.0 bearer token instead of a password. */
      readonly mechanism: 'XOAUTH2';
      /** The user the token is for, as the client gave it. */
      readonly username: string;
      /** The bearer token, to check with its issuer. */
      readonly accessToken: string;
    }
  | {
      /** The mechanism used: the client proved the password with a digest of the server's challenge. */
      readonly mechanism: 'CRAM-MD5';
      /** The user name the client gave. */
      readonly username: string;
      /** True when the client's digest was made with this password. */
      verify(password: string): boolean;
    }
  | {
      /** The client has already proved it knows the password (checked against the stored keys). */
      readonly mechanism: 'SCRAM-SHA-256';
      /** The user whose stored keys the proof was checked against. */
      readonly username: string;
      /** The identity to act as, when the client asked for one. */
      readonly authzid?: string;
    };

/** What a server-side mechanism does after a client message. */
export type ServerStep =
  /** Send this challenge (334) and wait for the next response. */
  | {
      /** Tells the steps apart. */
      readonly type: 'challenge';
      /** The challenge, raw: the caller base64-encodes it for the 334 line. */
      readonly challenge: Uint8Array;
    }
  /** The exchange is complete: check these credentials. */
  | {
      /** Tells the steps apart. */
      readonly type: 'credentials';
      /** What the client proved or claimed. */
      readonly credentials: Credentials;
    }
  /** The client's message was malformed (501 5.5.2). */
  | {
      /** Tells the steps apart. */
      readonly type: 'malformed';
      /** What was wrong, for logs; never sent to the client. */
      readonly reason: string;
    }
  /** Authentication failed inside the mechanism (535 5.7.8), such as a wrong SCRAM proof. */
  | {
      /** Tells the steps apart. */
      readonly type: 'failed';
    };

/**
 * The server side of one SASL exchange: made fresh for each AUTH command, it turns each client
 * message into the next step.
 */
export interface ServerMechanism {
  /** The mechanism's name as on the AUTH line, such as `PLAIN`. */
  readonly name: string;
  /**
   * Takes the client's next message: the initial response (undefined when the AUTH command had
   * none) or the response to the last challenge.
   */
  respond(response: Uint8Array | undefined): Promise<ServerStep>;
}

/** The client side of one SASL exchange: made fresh for each AUTH, it answers the server's challenges. */
export interface ClientMechanism {
  /** The mechanism's name as on the AUTH line, such as `SCRAM-SHA-256`. */
  readonly name: string;
  /** The initial response to send with AUTH, or undefined to wait for a challenge. */
  initialResponse(): Promise<Uint8Array | undefined>;
  /**
   * The response to a server challenge. Throws when the server's message is wrong (SCRAM), and
   * when the server challenges past the mechanism's last message: each has a fixed number.
   */
  respond(challenge: Uint8Array): Promise<Uint8Array>;
}
