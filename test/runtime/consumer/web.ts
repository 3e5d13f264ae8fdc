// Type-checked without Node's types by test/package.test.ts.
import {
  type CloudflareConnect,
  connectCloudflare,
  connectDeno,
  type SendResult,
  SmtpClient,
  WebStreamsTransport,
} from 'esmtp/web';

export async function send(connect: CloudflareConnect, onDeno: boolean): Promise<SendResult> {
  const transport = onDeno
    ? await connectDeno('mail.example.com', 587, { timeout: 10_000 })
    : await connectCloudflare(connect, { hostname: 'mail.example.com', port: 587 });
  await using client = await SmtpClient.over(
    transport,
    { tls: 'required', auth: { username: 'alice', password: 's3cret' } },
    'mail.example.com',
  );
  return client.send(
    { from: 'alice@example.com', to: ['bob@example.org'] },
    new ReadableStream<Uint8Array>(),
  );
}

export const plain = new WebStreamsTransport({
  readable: new ReadableStream(),
  writable: new WritableStream(),
});
