import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testCertificates, writeKeyPair } from '../helpers/certs.js';
import { CLI, plainSend, type RunningServe, runSend, startServe } from '../helpers/cli.js';

const running: RunningServe[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop('SIGKILL')));
});

interface Catcher extends RunningServe {
  web: string;
}

async function catcher(args: string[] = [], ui = '127.0.0.1:0'): Promise<Catcher> {
  const s = await startServe(['--ui', ui, ...args]);
  running.push(s);
  const port = /esmtp web page on http:\/\/[^/]+:(\d+)\//.exec(s.stdout())?.[1];
  return Object.assign(s, { web: `http://127.0.0.1:${port}` });
}

const MESSAGE = [
  'From: Alice <alice@example.com>',
  'To: Bob <bob@example.org>',
  'Cc: carol@example.org',
  'Subject: Quarterly report',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: multipart/alternative; boundary="b2"',
  '',
  '--b2',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'The numbers are in.',
  '--b2',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<meta http-equiv="refresh" content="0; url=http://tracker.example/">',
  '<p>The <b>numbers</b> are in.</p><script>parent.hacked = 1</script>',
  '--b2--',
  '--b1',
  'Content-Type: application/octet-stream; name="r\u00e9sum\u00e9 \\"1\\".bin"',
  "Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.bin",
  'Content-Transfer-Encoding: base64',
  '',
  'AAECA/8=',
  '--b1--',
  '',
].join('\r\n');

/** Sends MESSAGE (or `message`) from alice to bob and carol, and dave as Bcc. */
async function sendReport(
  c: Catcher,
  message = MESSAGE,
  to = ['bob@example.org', 'carol@example.org', 'dave@example.net'],
) {
  const outcome = await runSend(plainSend(c.port, 'alice@example.com', ...to), message);
  expect(outcome.status, outcome.stderr).toBe(0);
}

const simple = (subject: string, to = 'bob@example.org') =>
  `From: alice@example.com\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n`;

async function send(c: Catcher, subject: string, to = 'bob@example.org') {
  const outcome = await runSend(plainSend(c.port, 'alice@example.com', to), simple(subject, to));
  expect(outcome.status, outcome.stderr).toBe(0);
}

async function get(url: string, init?: RequestInit) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return response;
}

async function json(url: string, init?: RequestInit) {
  const response = await get(url, init);
  // biome-ignore lint/suspicious/noExplicitAny: the answers are checked by the assertions
  const body: any = await response.json();
  return { status: response.status, body, headers: response.headers };
}

interface Summary {
  id: string;
  subject: string;
  bcc: string[];
  envelope: { user: string | null };
}

interface Listing {
  total: number;
  offset: number;
  limit: number;
  messages: Summary[];
}

async function list(c: Catcher, query = ''): Promise<Listing> {
  return (await json(`${c.web}/api/messages${query}`)).body;
}

describe('esmtp serve --ui: the JSON API', () => {
  it('lists a message with its envelope, Bcc recipients marked; shows it in full', async () => {
    const c = await catcher();
    await sendReport(c);
    const { total, messages } = await list(c);
    expect(total).toBe(1);
    const [summary] = messages as [Summary];
    expect(summary).toMatchObject({
      from: { name: 'Alice', address: 'alice@example.com' },
      to: [{ name: 'Bob', address: 'bob@example.org' }],
      cc: [{ address: 'carol@example.org' }],
      bcc: ['dave@example.net'],
      subject: 'Quarterly report',
      attachments: 1,
      envelopeStored: true,
      envelope: {
        from: 'alice@example.com',
        to: ['bob@example.org', 'carol@example.org', 'dave@example.net'],
        client: '127.0.0.1',
        secure: false,
      },
    });
    const full = await json(`${c.web}/api/messages/${encodeURIComponent(summary.id)}`);
    expect(full.status).toBe(200);
    expect(full.headers.get('x-content-type-options')).toBe('nosniff');
    expect(full.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(full.body.text.trim()).toBe('The numbers are in.');
    expect(full.body.html).toContain('<b>numbers</b>');
    expect(full.body.headers).toContainEqual({ name: 'Subject', value: 'Quarterly report' });
    expect(full.body.attachmentList).toEqual([
      {
        index: 0,
        filename: 'résumé "1".bin',
        contentType: 'application/octet-stream',
        size: 5,
        disposition: 'attachment',
        contentId: null,
      },
    ]);
  });

  it('serves the raw message, an attachment with its type and a safely encoded file name, and the HTML part sandboxed', async () => {
    const c = await catcher();
    await sendReport(c);
    const { id } = (await list(c)).messages[0] as { id: string };
    const base = `${c.web}/api/messages/${encodeURIComponent(id)}`;
    const raw = await (await get(`${base}/raw`)).text();
    expect(raw).toMatch(/^Return-Path: <alice@example\.com>\r\nReceived: /);
    expect(raw).toContain('Subject: Quarterly report\r\n');
    const attachment = await get(`${base}/attachments/0`);
    expect(attachment.headers.get('content-type')).toBe('application/octet-stream');
    expect(attachment.headers.get('content-disposition')).toBe(
      `attachment; filename="r_sum_ _1_.bin"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.bin`,
    );
    expect([...new Uint8Array(await attachment.arrayBuffer())]).toEqual([0, 1, 2, 3, 255]);
    const html = await get(`${base}/html`);
    const policy = html.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/^sandbox;/);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain('img-src data:;');
    const shown = await html.text();
    expect(shown).toContain('<b>numbers</b>');
    expect(shown).not.toMatch(/<meta http-equiv/i);
    expect(shown).toContain('<x-meta http-equiv="refresh"');
    expect((await get(`${base}/html?images=1&links=1`)).headers.get('content-security-policy')).toMatch(
      /^sandbox allow-popups allow-popups-to-escape-sandbox;.*img-src data: http: https:/,
    );
    expect((await json(`${base}/attachments/1`)).status).toBe(404);
    expect((await json(`${base}/attachments/x`)).status).toBe(404);
  });

  it('lists newest first; searches by q, from, to and subject; pages with limit and offset', async () => {
    const c = await catcher();
    await send(c, 'one', 'x1@example.org');
    await send(c, 'two', 'x2@example.org');
    await send(c, 'three', 'x3@example.org');
    const all = await list(c);
    expect(all.messages.map((m) => m.subject)).toEqual(['three', 'two', 'one']);
    const subjects = async (query: string) => (await list(c, query)).messages.map((m) => m.subject);
    expect(await subjects('?to=x2@')).toEqual(['two']);
    expect(await subjects('?subject=THR')).toEqual(['three']);
    expect(await subjects('?q=body%20of%20one')).toEqual(['one']);
    expect(await subjects('?from=alice&to=example.org')).toEqual(['three', 'two', 'one']);
    expect(await subjects('?from=nobody')).toEqual([]);
    const page = await list(c, '?limit=1&offset=1');
    expect(page).toMatchObject({ total: 3, offset: 1, limit: 1 });
    expect(page.messages.map((m) => m.subject)).toEqual(['two']);
  });

  it('answers bad ids with 404 and bad parameters with 400, in JSON; other methods with 405', async () => {
    const c = await catcher();
    expect(await json(`${c.web}/api/messages/nope`)).toMatchObject({
      status: 404,
      body: { error: 'no message nope' },
    });
    expect((await json(`${c.web}/api/messages/nope/raw`)).status).toBe(404);
    expect((await json(`${c.web}/api/messages/nope`, { method: 'DELETE' })).status).toBe(404);
    expect((await json(`${c.web}/api/messages?limit=0`)).status).toBe(400);
    expect((await json(`${c.web}/api/messages?offset=-1`)).status).toBe(400);
    expect((await json(`${c.web}/api/messages/wait?timeout=61`)).status).toBe(400);
    expect((await json(`${c.web}/api/messages/wait?since=yesterday`)).status).toBe(400);
    expect((await json(`${c.web}/api/messages/%E0%A4%A`)).status).toBe(400);
    expect((await json(`${c.web}/api/nothing`)).status).toBe(404);
    const put = await json(`${c.web}/api/messages`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, DELETE');
    // No CORS: nothing says another origin may read the answers.
    const cors = await get(`${c.web}/api/messages`, { headers: { Origin: 'http://evil.example' } });
    expect(cors.headers.get('access-control-allow-origin')).toBeNull();
  });

  /** The status of a request to `c` with these headers (fetch would not send another Host). */
  const statusOf = (c: Catcher, headers: Record<string, string>, method = 'GET') =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${c.web}/api/messages`, { method, headers, timeout: 5000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject).end();
    });

  it('refuses a Host that is not a loopback name (DNS rebinding) and a change from another origin', async () => {
    const c = await catcher();
    const status = (headers: Record<string, string>, method = 'GET') => statusOf(c, headers, method);
    expect(await status({ Host: 'evil.example:8025' })).toBe(403);
    expect(await status({ Host: 'localhost:8025' })).toBe(200);
    expect(await status({ Origin: 'http://evil.example' }, 'DELETE')).toBe(403);
    const release = await json(`${c.web}/api/messages/x/release`, { method: 'POST', body: '{}' });
    expect(release.status).toBe(404);
  });

  it('listening on every address, refuses a Host that is not a name of this server (DNS rebinding)', async () => {
    const c = await catcher(['--ui-allow-host', 'MailCatcher', '--ui-allow-host', 'mail.test'], '0.0.0.0:0');
    c.web = c.web.replace('0.0.0.0', '127.0.0.1');
    const status = (headers: Record<string, string>, method = 'GET') => statusOf(c, headers, method);
    expect(await status({ Host: 'evil.example:8025' })).toBe(403);
    expect(await status({ Host: 'evil.example' })).toBe(403);
    for (const host of [
      'mailcatcher:8025',
      'mail.test',
      '10.1.2.3:8025',
      '[::1]:8025',
      'app.localhost',
      '0.0.0.0',
    ])
      expect(await status({ Host: host }), host).toBe(200);
    expect(await status({ Host: 'mailcatcher', Origin: 'http://evil.example' }, 'DELETE')).toBe(403);
    const refused = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${c.web}/api/messages`,
        { headers: { Host: 'rebound.example' }, timeout: 5000 },
        (res) => {
          let body = '';
          res.on('data', (d) => {
            body += String(d);
          });
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject).end();
    });
    expect(JSON.parse(refused).error).toMatch(/--ui-allow-host rebound\.example/);
  });

  it('deletes one message, then all, with their envelopes', async () => {
    const c = await catcher();
    await send(c, 'one');
    await send(c, 'two');
    const [two, one] = (await list(c)).messages as [Summary, Summary];
    expect(
      await json(`${c.web}/api/messages/${encodeURIComponent(two.id)}`, { method: 'DELETE' }),
    ).toMatchObject({
      status: 200,
      body: { deleted: [two.id] },
    });
    expect((await list(c)).messages.map((m) => m.id)).toEqual([one.id]);
    expect(c.messages()).toHaveLength(1);
    expect((await json(`${c.web}/api/messages`, { method: 'DELETE' })).body).toEqual({ deleted: [one.id] });
    expect((await list(c)).total).toBe(0);
    expect(c.messages()).toEqual([]);
    expect(readdirSync(`${c.maildir}/envelopes`)).toEqual([]);
  });

  it('the long poll returns as soon as a matching message arrives', async () => {
    const c = await catcher();
    const started = Date.now();
    const waiting = json(`${c.web}/api/messages/wait?to=late@example.org&timeout=20&since=${started}`);
    await new Promise((r) => setTimeout(r, 300));
    await send(c, 'not this one', 'other@example.org');
    await send(c, 'this one', 'late@example.org');
    const { status, body } = await waiting;
    expect(status).toBe(200);
    expect(body.subject).toBe('this one');
  });

  it('the long poll answers at once with a message already there, unless it came before since=', async () => {
    const c = await catcher();
    await send(c, 'early', 'early@example.org');
    const found = await json(`${c.web}/api/messages/wait?to=early@&subject=EARLY&timeout=5`);
    expect(found).toMatchObject({ status: 200, body: { subject: 'early' } });
    const later = new Date(Date.now() + 1000).toISOString();
    const started = Date.now();
    const none = await json(`${c.web}/api/messages/wait?to=early@&since=${later}&timeout=0.5`);
    expect(none.status).toBe(408);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  it('the long poll times out with 408 when nothing matches', async () => {
    const c = await catcher();
    const started = Date.now();
    const { status, body } = await json(`${c.web}/api/messages/wait?from=nobody&timeout=0.4`);
    expect(status).toBe(408);
    expect(body.error).toMatch(/no message matched/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });

  it('sends Server-Sent Events for new and deleted messages', async () => {
    const c = await catcher();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 15_000);
    const response = await fetch(`${c.web}/api/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>)
      .pipeThrough(new TextDecoderStream())
      .getReader();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended: ${text}`);
        text += value;
      }
    };
    await until(/retry: \d+/);
    await send(c, 'live');
    await until(/event: message\ndata: .*"subject":"live"/);
    const id = JSON.parse(/event: message\ndata: (.*)\n/.exec(text)?.[1] ?? '{}').id;
    await json(`${c.web}/api/messages/${encodeURIComponent(id)}`, { method: 'DELETE' });
    await until(/event: delete\ndata: /);
    expect(text).toContain(`event: delete\ndata: ${JSON.stringify({ ids: [id] })}\n\n`);
    controller.abort();
    clearTimeout(timer);
  });

  it('a restart keeps the messages and their envelopes: the Bcc recipient is still there', async () => {
    const first = await catcher();
    await sendReport(first);
    const before = await list(first);
    await first.stop();
    const second = await catcher(['--maildir', first.maildir]);
    const after = await list(second);
    expect(after).toEqual(before);
    expect(after.messages[0]?.bcc).toEqual(['dave@example.net']);
  });

  it('lists a message delivered without an envelope with what its headers say', async () => {
    const plain = await startServe([]);
    running.push(plain);
    await runSend(plainSend(plain.port, 'alice@example.com', 'bob@example.org'), simple('old'));
    rmSync(`${plain.maildir}/envelopes`, { recursive: true });
    await plain.stop();
    const c = await catcher(['--maildir', plain.maildir]);
    const [old] = (await list(c)).messages;
    expect(old).toMatchObject({
      subject: 'old',
      envelopeStored: false,
      envelope: { from: 'alice@example.com', to: ['bob@example.org'] },
      bcc: [],
    });
  });

  it('--max-messages keeps the newest N, deleting the oldest files and envelopes', async () => {
    const c = await catcher(['--max-messages', '2']);
    for (const subject of ['one', 'two', 'three']) await send(c, subject);
    expect((await list(c)).messages.map((m) => m.subject)).toEqual(['three', 'two']);
    expect(c.messages()).toHaveLength(2);
    expect(readdirSync(`${c.maildir}/envelopes`)).toHaveLength(2);
  });

  it('--auth-any accepts any user name and password, and mail without AUTH too', async () => {
    const c = await catcher(['--auth-any', '--allow-insecure-auth']);
    const authed = await runSend(
      [
        ...plainSend(c.port, 'alice@example.com', 'bob@example.org'),
        '--auth',
        'anyone:whatever',
        '--allow-insecure-auth',
      ],
      simple('with auth'),
    );
    expect(authed.status, authed.stderr).toBe(0);
    await send(c, 'without auth');
    const [without, withAuth] = (await list(c)).messages as [Summary, Summary];
    expect(withAuth.envelope.user).toBe('anyone');
    expect(without.envelope.user).toBeNull();
  });

  it('--auth-any needs TLS or --allow-insecure-auth, and --release-to needs --ui', async () => {
    const bad = async (args: string[]) => {
      const s = startServe(args);
      await expect(s).rejects.toThrow(/exited with 2/);
    };
    await bad(['--auth-any']);
    await bad(['--release-to', 'smtp://127.0.0.1:25']);
    await bad(['--ui', '0', '--release-to', 'http://example.org']);
  });

  it('releases a message to the server of --release-to, to all its recipients or some of them, never to others', async () => {
    const upstream = await startServe([]);
    running.push(upstream);
    const c = await catcher(['--release-to', `smtp://127.0.0.1:${upstream.port}`]);
    expect((await json(`${c.web}/api/info`)).body).toEqual({ release: true });
    await sendReport(c);
    const { id } = (await list(c)).messages[0] as { id: string };
    const url = `${c.web}/api/messages/${encodeURIComponent(id)}/release`;
    const post = (body: string, type = 'application/json') =>
      json(url, { method: 'POST', headers: { 'Content-Type': type }, body });
    expect(await post('{}')).toMatchObject({
      status: 200,
      body: { accepted: ['bob@example.org', 'carol@example.org', 'dave@example.net'], rejected: [] },
    });
    // The operator's server and credentials relay to no address a request chooses.
    const relay = await post('{"to":["eve@example.com"]}');
    expect(relay).toMatchObject({ status: 400, body: { error: expect.stringMatching(/not a recipient/) } });
    expect(await post('{"to":["DAVE@example.net"]}')).toMatchObject({
      status: 200,
      body: { accepted: ['dave@example.net'] },
    });
    expect((await post('{"to":["bob@example.org","eve@example.com"]}')).status).toBe(400);
    expect((await post('{"to":"eve@example.com"}')).status).toBe(400);
    expect((await post('{"to":["not an address"]}')).status).toBe(400);
    expect((await post('{"to":[]}')).status).toBe(400);
    // A form of another site can post text/plain without asking: refused.
    expect((await post('{}', 'text/plain')).status).toBe(415);
    await vi.waitFor(() => expect(upstream.messages()).toHaveLength(2), { timeout: 5000 });
    const released = upstream.messages()[0] as string;
    expect(released).toContain('Subject: Quarterly report');
    // The catcher's Return-Path is not sent on; upstream adds its own, once.
    expect(released.match(/^Return-Path:/gm)).toHaveLength(1);
    expect(upstream.messages()[1]).toMatch(/for <dave@example\.net>/);
  });
});

describe('esmtp serve stores each message with its envelope, the envelope first', () => {
  it('every message in new/ has its envelope on disk when the 250 arrives', async () => {
    const s = await startServe([]);
    running.push(s);
    for (const subject of ['one', 'two']) {
      await runSend(
        plainSend(s.port, 'alice@example.com', 'bob@example.org', 'bcc@example.net'),
        simple(subject),
      );
      for (const name of readdirSync(join(s.maildir, 'new')))
        expect(existsSync(join(s.maildir, 'envelopes', `${name}.json`)), name).toBe(true);
    }
    expect(readdirSync(join(s.maildir, 'envelopes'))).toHaveLength(2);
  });

  it('the envelope cannot be written: 451, and no message appears without one', async () => {
    const s = await startServe(['--verbose']);
    running.push(s);
    rmSync(join(s.maildir, 'envelopes'), { recursive: true });
    writeFileSync(join(s.maildir, 'envelopes'), ''); // a file where the directory was: ENOTDIR
    const outcome = await runSend(plainSend(s.port, 'alice@example.com', 'bob@example.org'), simple('lost?'));
    expect(outcome.json.reply).toMatch(/^451 4\.3\.0/);
    await vi.waitFor(() => expect(s.log()).toContain('error=ENOTDIR'));
    expect(readdirSync(join(s.maildir, 'new'))).toEqual([]);
    expect(readdirSync(join(s.maildir, 'tmp'))).toEqual([]);
  });
});

describe('esmtp serve --ui exits when an SMTP port cannot be had', () => {
  /** Runs esmtp serve to its end, within 15 seconds (then it is killed, and the test fails). */
  const runServe = (args: string[]) =>
    new Promise<{ code: number | null; killed: boolean; stderr: string }>((resolve) => {
      const maildir = join(mkdtempSync(join(tmpdir(), 'esmtp-serve-')), 'mail');
      execFile(
        process.execPath,
        [CLI, 'serve', '--maildir', maildir, '--ui', '127.0.0.1:0', ...args],
        { timeout: 15_000, killSignal: 'SIGKILL' },
        (error, _stdout, stderr) =>
          resolve({
            code: error === null ? 0 : (error.code as number | null),
            killed: error?.killed ?? false,
            stderr,
          }),
      );
    });

  let held: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => held?.close(resolve) ?? resolve(undefined));
    held = undefined;
  });
  /** A port of 127.0.0.1 the test holds, so that esmtp serve cannot listen on it. */
  const holdPort = async () => {
    held = createServer();
    await new Promise<void>((resolve) => held?.listen(0, '127.0.0.1', resolve));
    return (held.address() as { port: number }).port;
  };

  it('--listen on a port in use: exits 1 with the error, the web page closed', async () => {
    const port = await holdPort();
    const outcome = await runServe(['--listen', `127.0.0.1:${port}`]);
    expect(outcome).toMatchObject({ code: 1, killed: false });
    expect(outcome.stderr).toMatch(/EADDRINUSE/);
  }, 20_000);

  it('--tls-port on a port in use: exits 1 with the error, the SMTP port and the web page closed', async () => {
    const port = await holdPort();
    const files = writeKeyPair(testCertificates().localhost);
    const args = ['--listen', '127.0.0.1:0', '--tls-cert', files.cert, '--tls-key', files.key];
    const outcome = await runServe([...args, '--tls-port', String(port)]);
    expect(outcome).toMatchObject({ code: 1, killed: false });
    expect(outcome.stderr).toMatch(/EADDRINUSE/);
  }, 20_000);
});
