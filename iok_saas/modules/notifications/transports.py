"""Where e-mail goes: an SMTP server, or (embedded demo) .eml files in a local folder."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

from flask import current_app


class FileTransport:
    """The demo's outbox: one .eml file per message, shown on the admin host."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").split("@")[0]
        target = self.directory / f"{name}.eml"
        partial = target.with_suffix(".part")
        partial.write_bytes(bytes(message))
        partial.replace(target)  # a reader never sees half a message


class SmtpTransport:
    def __init__(self, host: str, port: int, *, username: str | None, password: str | None,
                 security: str, timeout: float):
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.security, self.timeout = security, timeout

    def send(self, message: EmailMessage) -> None:
        # Loading the CA bundle costs ~18 ms: only when TLS is actually used.
        context = ssl.create_default_context() if self.security != "none" else None
        if self.security == "ssl":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(message)


def configured_transport() -> FileTransport | SmtpTransport:
    config = current_app.config
    if config["IOK_MAIL_TRANSPORT"] == "smtp":
        return SmtpTransport(
            config["IOK_SMTP_HOST"], config["IOK_SMTP_PORT"],
            username=config["IOK_SMTP_USERNAME"], password=config["IOK_SMTP_PASSWORD"],
            security=config["IOK_SMTP_SECURITY"], timeout=config["IOK_SMTP_TIMEOUT"])
    return FileTransport(config["IOK_VAR_DIR"] / "outbox")
