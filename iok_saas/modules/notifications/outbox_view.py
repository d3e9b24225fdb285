"""Reading the demo's file outbox (FileTransport) so a newcomer can click e-mailed links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

from flask import current_app

from iok_saas.markup import plain_text_to_html
from iok_saas.timeutil import local

LISTED = 200


@dataclass(frozen=True)
class StoredMail:
    key: str
    received: datetime
    sender: str
    to: str
    subject: str
    text: str

    @property
    def html(self):
        return plain_text_to_html(self.text)


def outbox_dir() -> Path:
    return Path(current_app.config["IOK_VAR_DIR"]) / "outbox"


def stored_mails() -> list[StoredMail]:
    files = sorted(outbox_dir().glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)
    return [_read(path) for path in files[:LISTED]]


def _read(path: Path) -> StoredMail:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    body = message.get_body(preferencelist=("plain",))
    return StoredMail(
        key=path.stem, received=local(datetime.fromtimestamp(path.stat().st_mtime).astimezone()),
        sender=str(message["From"]), to=str(message["To"]), subject=str(message["Subject"]),
        text=body.get_content() if body else "")
