"""aiosmtpd accepting and discarding every message: the bench's contender.

Usage: aiosmtpd_sink.py PORT. Prints "listening PORT"; on SIGTERM prints "delivered N" and exits.
"""
import signal
import sys
import time

from aiosmtpd.controller import Controller

delivered = 0


class Handler:
    async def handle_DATA(self, server, session, envelope):
        global delivered
        delivered += 1
        return "250 OK"


port = int(sys.argv[1])
controller = Controller(Handler(), hostname="127.0.0.1", port=port, data_size_limit=0)
controller.start()
print(f"listening {port}", flush=True)


def stop(*_):
    print(f"delivered {delivered}", flush=True)
    controller.stop()
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
while True:
    time.sleep(3600)
