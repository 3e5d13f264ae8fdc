import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findMtaStsRecord,
  type MtaStsPolicy,
  mxMatchesPolicy,
  parseMtaStsPolicy,
  parseMtaStsRecord,
} from '../../src/protocol/mta-sts.js';

const POLICY = 'version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 604800\n';

function valid(text: string): MtaStsPolicy {
  const parsed = parseMtaStsPolicy(text);
  if (parsed.type !== 'valid') throw new Error(`invalid: ${parsed.reason}`);
  return parsed.value;
}

function reason(text: string): string {
  const parsed = parseMtaStsPolicy(text);
  if (parsed.type !== 'invalid') throw new Error('parsed as valid');
  return parsed.reason;
}

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
const hostName = fc.array(label, { minLength: 2, maxLength: 4 }).map((labels) => labels.join('.'));

describe('parseMtaStsPolicy', () => {
  it('reads the example of RFC 8461, with LF or CRLF line ends', () => {
    const expected = {
      version: 'STSv1',
      mode: 'enforce',
      mx: ['mail.example.com', '*.example.net'],
      maxAge: 604800,
    };
    expect(valid(POLICY)).toEqual(expected);
    expect(valid(POLICY.replace(/\n/g, '\r\n'))).toEqual(expected);
    expect(valid(POLICY.trimEnd())).toEqual(expected);
  });

  it('takes each mode, ignores unknown keys and space around values, and lower-cases mx patterns', () => {
    expect(valid('version: STSv1\nmode: testing\nmx: MX.Example.COM.\nmax_age: 86400\n').mx).toEqual([
      'mx.example.com',
    ]);
    expect(valid('version:STSv1\nmode:   none \t\nmax_age: 0\nextension_x: anything-here\n')).toEqual({
      version: 'STSv1',
      mode: 'none',
      mx: [],
      maxAge: 0,
    });
  });

  it('ignores extensions whose names hold - or . and whose values hold UTF-8 (RFC 8461 3.2)', () => {
    const extended = `${POLICY}ext-name.v2: some value\nx_note: caf\u00e9 \u2603 \u{1f600}\nA.b-c_1:\tx\ty\n`;
    expect(valid(extended)).toEqual(valid(POLICY));
    expect(valid(`version: STSv1\nmy-ext: 1\nmode: enforce\nmx: a.example\nmax_age: 1\n`).mode).toBe(
      'enforce',
    );
  });

  it('refuses an extension with a name or value outside the grammar', () => {
    expect(reason(`${POLICY}-ext: 1\n`)).toMatch(/bad key/);
    expect(reason(`${POLICY}${'e'.repeat(33)}: 1\n`)).toMatch(/bad key/);
    expect(reason(`${POLICY}ext/x: 1\n`)).toMatch(/bad key/);
    expect(reason(`${POLICY}ext: a\u0001b\n`)).toMatch(/bad value for ext/);
    expect(reason(`${POLICY}ext: a\u007fb\n`)).toMatch(/bad value for ext/);
  });

  it('checks known values as ASCII: UTF-8 in an mx pattern is refused', () => {
    expect(reason('version: STSv1\nmode: enforce\nmx: caf\u00e9.example\nmax_age: 1\n')).toMatch(
      /bad value for mx/,
    );
  });

  it('property: a well-formed extension line anywhere does not change the policy', () => {
    const extName = fc
      .stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/)
      .filter((name) => !['version', 'mode', 'mx', 'max_age'].includes(name));
    const extValue = fc
      .array(
        fc.oneof(fc.stringMatching(/^[\x21-\x7e]$/), fc.constantFrom('\u00e9', '\u2603', '\u{1f600}', ' ')),
        {
          minLength: 1,
          maxLength: 20,
        },
      )
      .map((chars) => chars.join('').trim())
      .filter((v) => v !== '');
    fc.assert(
      fc.property(extName, extValue, fc.integer({ min: 0, max: 4 }), (name, value, at) => {
        const lines = POLICY.trimEnd().split('\n');
        lines.splice(Math.min(at, lines.length), 0, `${name}: ${value}`);
        expect(valid(`${lines.join('\n')}\n`)).toEqual(valid(POLICY));
      }),
    );
  });

  it('a known key given twice counts the first time', () => {
    expect(valid(`${POLICY}mode: testing\nmax_age: 1\n`)).toMatchObject({ mode: 'enforce', maxAge: 604800 });
  });

  it('refuses a policy missing what it needs or with a value outside the grammar', () => {
    expect(reason('mode: enforce\nmx: a.example\nmax_age: 1\n')).toBe('no version');
    expect(reason('version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n')).toBe('version STSv2');
    expect(reason('version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n')).toBe('mode Enforce');
    expect(reason('version: STSv1\nmode: enforce\nmx: a.example\n')).toBe('no max_age');
    expect(reason('version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n')).toBe(
      'max_age 31557601',
    );
    expect(reason('version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n')).toBe('max_age -1');
    expect(reason('version: STSv1\nmode: enforce\nmax_age: 1\n')).toBe('no mx in enforce mode');
    expect(reason('version: STSv1\nmode: enforce\nmx: a.*.example\nmax_age: 1\n')).toMatch(/bad mx/);
    expect(reason('version: STSv1\nmode: enforce\nmx: -a.example\nmax_age: 1\n')).toMatch(/bad mx/);
    expect(reason('version: STSv1\n\nmode: enforce\nmx: a.example\nmax_age: 1\n')).toMatch(/key: value/);
    expect(reason('<html>\n')).toMatch(/key: value/);
  });

  it('property: a policy written from its parts parses back to them', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('enforce', 'testing', 'none'),
        fc.array(fc.tuple(fc.boolean(), hostName), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 31_557_600 }),
        fc.constantFrom('\n', '\r\n'),
        (mode, hosts, maxAge, end) => {
          const mx = hosts.map(([wild, name]) => (wild ? `*.${name}` : name));
          const text = [`version: STSv1`, `mode: ${mode}`, ...mx.map((m) => `mx: ${m}`), `max_age: ${maxAge}`]
            .map((line) => line + end)
            .join('');
          expect(valid(text)).toEqual({ version: 'STSv1', mode, mx, maxAge });
        },
      ),
    );
  });

  it('property: never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        expect(['valid', 'invalid']).toContain(parseMtaStsPolicy(text).type);
      }),
    );
  });
});

describe('mxMatchesPolicy', () => {
  it('an exact name, or one label more than a wildcard; case and a final dot do not count', () => {
    const patterns = ['mail.example.com', '*.example.net'];
    expect(mxMatchesPolicy('mail.example.com', patterns)).toBe(true);
    expect(mxMatchesPolicy('MAIL.Example.com.', patterns)).toBe(true);
    expect(mxMatchesPolicy('mx1.example.net', patterns)).toBe(true);
    expect(mxMatchesPolicy('example.net', patterns)).toBe(false);
    expect(mxMatchesPolicy('a.b.example.net', patterns)).toBe(false);
    expect(mxMatchesPolicy('mail.example.org', patterns)).toBe(false);
    expect(mxMatchesPolicy('xmail.example.com', patterns)).toBe(false);
  });

  it('property: a wildcard matches a name exactly when the name is one label over its suffix', () => {
    fc.assert(
      fc.property(hostName, fc.array(label, { maxLength: 3 }), hostName, (suffix, extra, other) => {
        const name = [...extra, suffix].join('.');
        expect(mxMatchesPolicy(name, [`*.${suffix}`])).toBe(extra.length === 1);
        expect(mxMatchesPolicy(name, [name])).toBe(true);
        expect(mxMatchesPolicy(`x.${other}`, [`*.${suffix}`])).toBe(other === suffix);
      }),
    );
  });
});

describe('the _mta-sts TXT record', () => {
  it('reads v=STSv1 and the id, across strings, ignoring extensions', () => {
    expect(parseMtaStsRecord(['v=STSv1; id=20160831085700Z;'])).toEqual({
      type: 'valid',
      value: { id: '20160831085700Z' },
    });
    expect(parseMtaStsRecord(['v=STSv1;', ' ext=1; id=abc'])).toEqual({
      type: 'valid',
      value: { id: 'abc' },
    });
  });

  it('refuses a record that does not begin with v=STSv1, has no id or a bad one', () => {
    expect(parseMtaStsRecord(['id=1; v=STSv1']).type).toBe('invalid');
    expect(parseMtaStsRecord(['v=STSv1']).type).toBe('invalid');
    expect(parseMtaStsRecord(['v=STSv1; id=']).type).toBe('invalid');
    expect(parseMtaStsRecord(['v=STSv1; id=a-b']).type).toBe('invalid');
    expect(parseMtaStsRecord([`v=STSv1; id=${'a'.repeat(33)}`]).type).toBe('invalid');
  });

  it('among TXT records: none, or more than one, is no record', () => {
    expect(findMtaStsRecord([['v=spf1 -all'], ['v=STSv1; id=1']])).toEqual({
      type: 'valid',
      value: { id: '1' },
    });
    expect(findMtaStsRecord([['v=spf1 -all']]).type).toBe('invalid');
    expect(findMtaStsRecord([['v=STSv1; id=1'], ['v=STSv1; id=2']]).type).toBe('invalid');
  });
});
