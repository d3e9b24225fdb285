"""Where e-mail goes: an SMTP server, or (embedded demo) .eml files in a local folder.

An SMTP connection is reused for many messages: opening one (TCP, greeting, EHLO, maybe
TLS and AUTH) costs several round trips, more than sending a message over it. Each process
keeps at most one open connection (``SmtpTransport`` instances are shared per server
settings); it is replaced after ``max_messages`` messages or ``idle_seconds`` unused, after
a fork, and when the server drops it.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import threading
import time
from email.message import Message
from pathlib import Path

from flask import current_app

# 421 = "service not available, closing transmission channel": the server ends the
# connection (a per-connection message limit, a restart); the next connection may work.
_CLOSING = 421


class FileTransport:
    """The demo's outbox: one .eml file per message, shown on the admin host."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def send(self, message: Message) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").split("@")[0]
        target = self.directory / f"{name}.eml"
        partial = target.with_suffix(".part")
        partial.write_bytes(bytes(message))
        partial.replace(target)  # a reader never sees half a message


class SmtpTransport:
    def __init__(self, host: str, port: int, *, username: str | None, password: str | None,
                 security: str, timeout: float, max_messages: int = 100,
                 idle_seconds: float = 30.0):
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.security, self.timeout = security, timeout
        self.max_messages, self.idle_seconds = max_messages, idle_seconds
        self._client: smtplib.SMTP | None = None
        self._owner_pid = 0  # the process that opened _client (a fork must not share it)
        self._sent_on_client = 0
        self._last_used = 0.0
        self._lock = threading.Lock()
        self.connections_opened = 0

    def send(self, message: Message) -> None:
        """Send over the kept connection; if the server dropped it, once more on a new one.

        A drop after the server took the whole message but before it said so would send
        that message twice; both copies carry the same Message-ID (the delivery key).
        """
        with self._lock:
            reused = self._usable()
            client = self._client if reused else self._open()
            try:
                client.send_message(message)
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                self._discard()
                if not reused:
                    raise
                client = self._open()
                self._send_or_discard(client, message)
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code != _CLOSING:
                    raise  # a refusal of this message; the connection itself is fine
                self._discard()
                client = self._open()
                self._send_or_discard(client, message)
            self._sent_on_client += 1
            self._last_used = time.monotonic()
            if self._sent_on_client >= self.max_messages:
                self.close_locked()

    def close(self) -> None:
        with self._lock:
            self.close_locked()

    def close_locked(self) -> None:
        """QUIT politely (the caller holds the lock)."""
        client, self._client = self._client, None
        if client is not None and self._owner_pid == os.getpid():
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()

    def _usable(self) -> bool:
        if self._client is None:
            return False
        if self._owner_pid != os.getpid():
            self._client = None  # the parent's socket: leave it to the parent
            return False
        if time.monotonic() - self._last_used > self.idle_seconds:
            self.close_locked()  # servers close idle connections; do not find out mid-send
            return False
        return True

    def _open(self) -> smtplib.SMTP:
        # Loading the CA bundle costs ~18 ms: only when TLS is actually used.
        context = ssl.create_default_context() if self.security != "none" else None
        if self.security == "ssl":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password or "")
        except BaseException:
            client.close()
            raise
        self.connections_opened += 1
        self._client, self._owner_pid, self._sent_on_client = client, os.getpid(), 0
        return client

    def _send_or_discard(self, client: smtplib.SMTP, message: Message) -> None:
        try:
            client.send_message(message)
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            self._discard()
            raise

    def _discard(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()


_shared: dict[tuple, SmtpTransport] = {}


def configured_transport() -> FileTransport | SmtpTransport:
    config = current_app.config
    if config["IOK_MAIL_TRANSPORT"] != "smtp":
        return FileTransport(config["IOK_VAR_DIR"] / "outbox")
    settings = (config["IOK_SMTP_HOST"], config["IOK_SMTP_PORT"], config["IOK_SMTP_USERNAME"],
                config["IOK_SMTP_PASSWORD"], config["IOK_SMTP_SECURITY"],
                config["IOK_SMTP_TIMEOUT"], config["IOK_SMTP_MESSAGES_PER_CONNECTION"],
                config["IOK_SMTP_IDLE_SECONDS"])
    transport = _shared.get(settings)
    if transport is None:
        close_connections()  # settings changed: the old server's connection is of no use
        host, port, username, password, security, timeout, per_connection, idle = settings
        transport = _shared[settings] = SmtpTransport(
            host, port, username=username, password=password, security=security,
            timeout=timeout, max_messages=per_connection, idle_seconds=idle)
    return transport


def close_connections() -> None:
    """QUIT every kept connection (a worker process shutting down, settings changed)."""
    for transport in _shared.values():
        transport.close()
    _shared.clear()
