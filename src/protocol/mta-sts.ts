/**
 * MTA-STS (RFC 8461), the pure part: the `_mta-sts` TXT record, the policy file, and whether an MX
 * host name matches a policy's `mx` patterns. Fetching and caching are the client's (Node) part.
 * @module
 */

/** A parsed MTA-STS policy (RFC 8461 3.2). */
export interface MtaStsPolicy {
  /** Always `STSv1`. */
  readonly version: 'STSv1';
  /**
   * `enforce`: deliver only to MX hosts that match `mx` and show a valid certificate for their
   * name; `testing`: deliver as usual and report what enforcing would have refused; `none`: no
   * policy (a domain stepping back from MTA-STS).
   */
  readonly mode: 'enforce' | 'testing' | 'none';
  /** The MX host patterns, lower case: `mail.example.com`, or `*.example.com` for one label more. */
  readonly mx: readonly string[];
  /** How long the policy may be cached, in seconds (at most 31557600, a year). */
  readonly maxAge: number;
}

/** What {@link parseMtaStsPolicy} and {@link parseMtaStsRecord} return: the value, or why there is none. */
export type MtaStsParse<T> =
  | {
      /** The text is valid. */
      readonly type: 'valid';
      /** What it says. */
      readonly value: T;
    }
  | {
      /** The text is not valid: no policy or record. */
      readonly type: 'invalid';
      /** Why, for a log. */
      readonly reason: string;
    };

/** The longest `max_age` the RFC allows (3.2): a year of seconds. */
const MTA_STS_MAX_AGE = 31_557_600;

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** `sts-policy-ext-name` of RFC 8461 3.2, which the known keys also match. */
const POLICY_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

/** The keys whose values this module reads; their own grammars check their values. */
const KNOWN_KEYS = new Set(['version', 'mode', 'mx', 'max_age']);

/** `sts-policy-ext-value`: visible ASCII or any non-ASCII character, with spaces or tabs between. */
const EXTENSION_VALUE = /^[^\x00-\x20\x7f](?:[\t ]*[^\x00-\x20\x7f])*$/u;

function invalid(reason: string): { type: 'invalid'; reason: string } {
  return { type: 'invalid', reason };
}

/**
 * Parses the text of `https://mta-sts.<domain>/.well-known/mta-sts.txt`: `key: value` lines ended
 * by LF or CRLF. `version`, `mode` and `max_age` are required, and at least one `mx` unless the
 * mode is `none`; a known key with a value outside its grammar makes the whole policy invalid.
 * Other keys are extensions (RFC 8461 3.2: letters, digits, `_`, `-` and `.`), ignored when their
 * value is visible text (UTF-8 too); a known key given twice counts the first time (`mx` may
 * repeat).
 */
export function parseMtaStsPolicy(text: string): MtaStsParse<MtaStsPolicy> {
  const fields = new Map<string, string>();
  const mx: string[] = [];
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) return invalid(`not a "key: value" line: ${JSON.stringify(line.slice(0, 80))}`);
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!POLICY_KEY.test(key)) return invalid(`a bad key: ${JSON.stringify(key)}`);
    if (!KNOWN_KEYS.has(key)) {
      // An extension (RFC 8461 3.2): its value may hold any visible character, UTF-8 too; its
      // meaning is not ours to check, so it is ignored once it is well formed.
      if (!EXTENSION_VALUE.test(value)) return invalid(`a bad value for ${key}`);
      continue;
    }
    if (/[^\x21-\x7e ]/.test(value)) return invalid(`a bad value for ${key}`);
    if (key === 'mx') {
      const pattern = mxPattern(value);
      if (pattern === undefined) return invalid(`a bad mx pattern: ${JSON.stringify(value)}`);
      mx.push(pattern);
    } else if (!fields.has(key)) {
      fields.set(key, value);
    }
  }
  const version = fields.get('version');
  if (version !== 'STSv1') return invalid(version === undefined ? 'no version' : `version ${version}`);
  const mode = fields.get('mode');
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none')
    return invalid(mode === undefined ? 'no mode' : `mode ${mode}`);
  const age = fields.get('max_age');
  if (age === undefined) return invalid('no max_age');
  if (!/^\d{1,10}$/.test(age) || Number(age) > MTA_STS_MAX_AGE) return invalid(`max_age ${age}`);
  if (mode !== 'none' && mx.length === 0) return invalid(`no mx in ${mode} mode`);
  return { type: 'valid', value: { version, mode, mx, maxAge: Number(age) } };
}

/** `mail.example.com` or `*.example.com`, lower case; undefined when it is neither. */
function mxPattern(value: string): string | undefined {
  const pattern = value.toLowerCase().replace(/\.$/, '');
  const name = pattern.startsWith('*.') ? pattern.slice(2) : pattern;
  if (name.length === 0 || name.length > 253) return undefined;
  return name.split('.').every((label) => LABEL.test(label)) ? pattern : undefined;
}

/**
 * Whether the MX host `host` matches one of a policy's `mx` patterns (RFC 8461 4.1): the same name,
 * or for `*.example.com` a name with exactly one label before `example.com`. Case and a final dot
 * do not count.
 */
export function mxMatchesPolicy(host: string, patterns: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return patterns.some((pattern) => {
    if (!pattern.startsWith('*.')) return name === pattern;
    const dot = name.indexOf('.');
    return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
  });
}

/** The `_mta-sts.<domain>` TXT record (RFC 8461 3.1). */
export interface MtaStsRecord {
  /** The policy's id: when it changes, the policy is fetched again. */
  readonly id: string;
}

/**
 * Parses the `_mta-sts` TXT record, given as its strings (as `resolveTxt` gives one record):
 * `v=STSv1; id=...;` with `v` first, an `id` of 1 to 32 letters and digits, and extension fields
 * ignored.
 */
export function parseMtaStsRecord(strings: readonly string[]): MtaStsParse<MtaStsRecord> {
  const text = strings.join('');
  const fields = text
    .split(';')
    .map((field) => field.trim())
    .filter((field, i, all) => field !== '' || i !== all.length - 1);
  if (fields[0] !== 'v=STSv1') return invalid('the record does not begin with v=STSv1');
  let id: string | undefined;
  for (const field of fields.slice(1)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,31})=([\x21-\x3a\x3c\x3e-\x7e]{1,})$/.exec(field);
    if (m === null) return invalid(`a bad field: ${JSON.stringify(field)}`);
    if (m[1] === 'id' && id === undefined) {
      if (!/^[A-Za-z0-9]{1,32}$/.test(m[2] as string)) return invalid(`a bad id: ${m[2]}`);
      id = m[2];
    }
  }
  if (id === undefined) return invalid('the record has no id');
  return { type: 'valid', value: { id } };
}

/**
 * The one MTA-STS record among a name's TXT records: those that begin with `v=STSv1`. None, or
 * more than one, is no record (RFC 8461 3.1).
 */
export function findMtaStsRecord(records: readonly (readonly string[])[]): MtaStsParse<MtaStsRecord> {
  const candidates = records.filter((r) => r.join('').startsWith('v=STSv1'));
  if (candidates.length === 0) return invalid('no v=STSv1 record');
  if (candidates.length > 1) return invalid('more than one v=STSv1 record');
  return parseMtaStsRecord(candidates[0] as readonly string[]);
}
