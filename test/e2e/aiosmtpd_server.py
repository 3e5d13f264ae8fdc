"""An aiosmtpd server with STARTTLS and AUTH PLAIN, for the client interop test.

Usage: aiosmtpd_server.py PORT CERT KEY. Prints "ready" once listening, then one JSON line per
message received: the envelope, and the content in base64.
"""
import asyncio
import base64
import json
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)


class Handler:
    async def handle_DATA(self, server, session, envelope):
        print(json.dumps({
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "user": session.authenticated and session.auth_data.login.decode(),
            "tls": session.ssl is not None,
            "content": base64.b64encode(envelope.original_content or envelope.content).decode(),
        }), flush=True)
        return "250 2.0.0 stored"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"alice" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, auth_data=auth_data)


controller = Controller(
    Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
    authenticator=authenticator, auth_require_tls=True, enable_SMTPUTF8=True,
)
controller.start()
print("ready", flush=True)
try:
    sys.stdin.read()  # runs until the test closes our stdin
finally:
    controller.stop()
