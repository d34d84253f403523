"""A real SMTP server for the tests: aiosmtpd in a thread on a free port of 127.0.0.1.

The app under test is pointed at it with `smtp_settings(server)`; the tests read what it
received, as a mail client would, and follow the links.
"""

import re
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class Inbox:
    """aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in m["X-Envelope-To"]]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()


class SMTPServer:
    def __init__(self, **smtp_options):
        """smtp_options go to aiosmtpd's SMTP, e.g. tls_context= to offer STARTTLS."""
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, **smtp_options
        )

    @classmethod
    def running(cls, **smtp_options) -> "SMTPServer":
        """A started server. Its port is chosen again if another process took it since it was
        looked up (make test's two passes run at once)."""
        for _ in range(5):
            server = cls(**smtp_options)
            try:
                return server.start()
            except (OSError, RuntimeError):
                continue
        raise RuntimeError("no free port for the test SMTP server")

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_settings(port: int) -> dict:
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_TIMEOUT": 5,
        "MAIL_DEFAULT_SENDER": "Trainer <no-reply@trainer.test>",
    }


def text_part(message: EmailMessage) -> str:
    """The plain-text body, with the wire's CRLF line ends read as newlines."""
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def links(message: EmailMessage) -> list[str]:
    return re.findall(r"https?://[^\s<>\"]+", text_part(message))
