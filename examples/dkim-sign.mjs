// Signs a message with DKIM (mailauth's dkimSign) and sends it. The signature goes on top of the
// message as it will be sent: esmtp sends the bytes it is given, unchanged.
//   DKIM_KEY=private.pem DKIM_SELECTOR=mail node examples/dkim-sign.mjs URL FROM TO
// The public key must be published as DKIM_SELECTOR._domainkey.DOMAIN, DOMAIN being FROM's.
import { readFileSync } from 'node:fs';
import { SmtpClient } from 'esmtp';
import { dkimSign } from 'mailauth';

const [url = 'smtp://127.0.0.1:2525', from = 'alice@example.com', to = 'bob@example.org'] =
  process.argv.slice(2);
const domain = from.slice(from.lastIndexOf('@') + 1);
const message = [
  `From: Alice <${from}>`,
  `To: <${to}>`,
  'Subject: Signed with DKIM',
  `Date: ${new Date().toUTCString()}`,
  `Message-ID: <${crypto.randomUUID()}@${domain}>`,
  '',
  'This message carries a DKIM signature.',
  '',
].join('\r\n');

const { signatures, errors } = await dkimSign(message, {
  signatureData: [
    {
      signingDomain: domain,
      selector: process.env.DKIM_SELECTOR ?? 'mail',
      privateKey: readFileSync(process.env.DKIM_KEY ?? 'private.pem'),
    },
  ],
});
if (errors.length > 0) throw errors[0].err; // a bad key, a From without a domain, ...

const client = await SmtpClient.connect(url);
try {
  const result = await client.send({ from, to: [to] }, signatures + message);
  console.log(`signed for ${domain}; accepted: ${result.accepted.join(', ')}`);
} finally {
  await client.quit();
}
