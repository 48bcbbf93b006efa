#!/usr/bin/python3
"""A local SMTP sink for development and tests (aiosmtpd, from Debian).

Every accepted message is written to a maildir (MAILDIR/new/<file>), one file
per message, exactly as received. To exercise bounce handling, recipients
whose local part starts with

  bounce-hard   are refused for good:  550 5.1.1 mailbox unavailable
  bounce-soft   are refused for now:   452 4.2.2 mailbox full

Usage: smtp_sink.py --listen 127.0.0.1:2525 --maildir .dev/mail
Stops on SIGTERM or SIGINT.
"""
import argparse
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class Sink(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("bounce-hard"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("bounce-soft"):
            return "452 4.2.2 mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:2525", help="host:port (loopback)")
    parser.add_argument("--maildir", required=True, help="where messages are written")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    # Maildir(create=True) makes tmp/new/cur only for a folder it creates.
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(args.maildir, sub), exist_ok=True)
    controller = Controller(Sink(args.maildir), hostname=host or "127.0.0.1", port=int(port),
                            data_size_limit=32 * 1024 * 1024)
    controller.start()
    print(f"smtp sink listening on {host}:{port}, writing to {args.maildir}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
