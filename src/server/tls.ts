/**
 * The server's TLS configuration: a secure context built once and swappable at run time, SNI by
 * map or callback, TLS 1.2 as the floor, optional client certificates.
 * @module
 */
import {
  createSecureContext,
  type SecureContext,
  type SecureContextOptions,
  type TLSSocketOptions,
} from 'node:tls';

/**
 * Finds the certificate for a server name the client asked for (SNI): a secure context, or the
 * options to build one, or undefined for the default certificate.
 */
export type SniResolver = (
  servername: string,
) =>
  | SecureContext
  | SecureContextOptions
  | undefined
  | Promise<SecureContext | SecureContextOptions | undefined>;

/**
 * The server's certificates and TLS settings: Node's `SecureContextOptions` (`key`, `cert`, `ca`,
 * `minVersion`, ...; TLS 1.2 unless `minVersion` says otherwise), plus SNI and client
 * certificates.
 */
export interface ServerTlsOptions extends SecureContextOptions {
  /**
   * Certificates by server name (SNI): a map of names to context options, or a function that
   * returns a context (or its options) for a name. Names not found get the default context.
   */
  sni?: Readonly<Record<string, SecureContextOptions>> | SniResolver;
  /** Ask clients for a certificate; the hooks see it in `session.tls`. Unverified ones are allowed. */
  requestCert?: boolean;
}

export class ServerTls {
  private context: SecureContext;
  private sniContexts: Map<string, SecureContext>;

  constructor(private options: ServerTlsOptions) {
    this.context = build(options);
    this.sniContexts = buildSniMap(options);
  }

  /** Swaps the certificates (and any other option) for connections that start TLS from now on. */
  update(options: ServerTlsOptions): void {
    const context = build(options);
    const sniContexts = buildSniMap(options);
    this.options = options;
    this.context = context;
    this.sniContexts = sniContexts;
  }

  /** The options for `NodeTransport.startTls()` as a server. */
  socketOptions(): TLSSocketOptions {
    const sni = this.options.sni;
    return {
      secureContext: this.context,
      ca: this.options.ca, // for checking client certificates (see NodeTransport)
      requestCert: this.options.requestCert ?? false,
      rejectUnauthorized: false, // a client certificate is information for the hooks, not a gate
      SNICallback: sni === undefined ? undefined : (name, done) => this.resolveSni(name, done),
    };
  }

  private resolveSni(name: string, done: (error: Error | null, context?: SecureContext) => void): void {
    const sni = this.options.sni;
    if (typeof sni !== 'function') {
      done(null, this.sniContexts.get(name.toLowerCase()) ?? this.context);
      return;
    }
    Promise.resolve()
      .then(() => sni(name))
      .then(
        (found) => done(null, found === undefined ? this.context : isContext(found) ? found : build(found)),
        (error: Error) => done(error),
      );
  }
}

function build(options: ServerTlsOptions): SecureContext {
  const { sni: _sni, requestCert: _requestCert, ...context } = options;
  return createSecureContext({ minVersion: 'TLSv1.2', ...context });
}

function buildSniMap(options: ServerTlsOptions): Map<string, SecureContext> {
  const map = new Map<string, SecureContext>();
  if (options.sni !== undefined && typeof options.sni !== 'function') {
    for (const [name, context] of Object.entries(options.sni)) {
      map.set(name.toLowerCase(), createSecureContext({ minVersion: 'TLSv1.2', ...context }));
    }
  }
  return map;
}

function isContext(value: SecureContext | SecureContextOptions): value is SecureContext {
  return typeof (value as SecureContext).context === 'object';
}
