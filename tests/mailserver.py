"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from .polling import poll


class _Inbox:
    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.original_content,
                                                policy=policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailServer:
    def __init__(self, port: int | None = None):
        self.inbox = _Inbox()
        self.port = port or free_port()
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> MailServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages

    def wait_for(self, count: int, timeout: float = 20.0) -> list[EmailMessage]:
        """The messages once ``count`` have arrived (or ``timeout`` passed: the caller's
        assertion tells); ``polling.exactly`` proves no more follow."""
        poll(lambda: len(self.messages), lambda n: n >= count, timeout)
        return self.messages

    def count(self) -> int:
        return len(self.messages)

    def config(self) -> dict:
        return {"IOK_MAIL_TRANSPORT": "smtp", "IOK_SMTP_HOST": "127.0.0.1",
                "IOK_SMTP_PORT": self.port, "IOK_SMTP_SECURITY": "none",
                "IOK_SMTP_TIMEOUT": 5.0}
