"""Sends mail to an esmtp server with Python's smtplib, as the interop test asks.

Usage: send_with_smtplib.py PORT SCENARIO [CA_FILE USER PASSWORD]. Prints one JSON line with
what smtplib saw.
"""
import json
import smtplib
import ssl
import sys
from email.message import EmailMessage

port = int(sys.argv[1])
scenario = sys.argv[2]
result = {}

if scenario == "starttls":
    ca_file, user, password = sys.argv[3:6]
    context = ssl.create_default_context(cafile=ca_file)
    with smtplib.SMTP("localhost", port, local_hostname="client.example", timeout=10) as smtp:
        smtp.ehlo()
        result["before_tls"] = sorted(smtp.esmtp_features.keys())
        smtp.starttls(context=context)
        smtp.ehlo()
        result["auth"] = smtp.esmtp_features.get("auth", "")
        code, _ = smtp.login(user, password)
        result["login"] = code
        smtp.sendmail("alice@example.com", ["bob@example.org"], "Subject: smtplib tls\r\n\r\nsecret body\r\n")
    print(json.dumps(result))
    sys.exit(0)

with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example", timeout=10) as smtp:
    code, _ = smtp.ehlo()
    result["ehlo"] = code
    result["features"] = sorted(smtp.esmtp_features.keys())
    if scenario == "plain":
        body = "Subject: smtplib\r\n\r\nhello\r\n.leading dot\r\nend\r\n"
        refused = smtp.sendmail("alice@example.com", ["bob@example.org", "carol@example.org"], body)
        result["refused"] = refused
    elif scenario == "utf8":
        msg = EmailMessage()
        msg["From"] = "jörg@example.com"
        msg["To"] = "dörte@example.org"
        msg["Subject"] = "grüße"
        msg.set_content("ünïcödé body\n")
        # send_message adds SMTPUTF8 and BODY=8BITMIME itself for non-ASCII addresses.
        smtp.send_message(msg)
        result["sent"] = True
    elif scenario == "refused":
        try:
            smtp.sendmail("alice@example.com", ["x@elsewhere.net"], "Subject: no\r\n\r\nno\r\n")
        except smtplib.SMTPRecipientsRefused as e:
            result["refused"] = {k: [v[0], v[1].decode()] for k, v in e.recipients.items()}
    elif scenario == "size":
        try:
            smtp.sendmail("alice@example.com", ["bob@example.org"], "x" * 5000)
        except smtplib.SMTPSenderRefused as e:
            result["sender_refused"] = e.smtp_code
        except smtplib.SMTPDataError as e:
            result["data_error"] = e.smtp_code
    code, _ = smtp.noop()
    result["noop"] = code

print(json.dumps(result))
