"""An email backend that behaves like a provider honouring idempotency keys, writing to files.

``IdempotentFileBackend`` delivers each message once per idempotency key (the
``X-NRM-Idempotency-Key`` header the outbox sets): the first send creates
``delivered/<key>.eml`` atomically (``O_CREAT | O_EXCL``, so two processes cannot both create
it); a later send with the same key is accepted, not delivered again, and noted in
``repeats.log``. Use it outside production to see what the service sends, and in tests and
benchmarks that count deliveries across worker processes::

    NRM_EMAIL_BACKEND=nrm.notify.backends.IdempotentFileBackend   # files under $NRM_VAR_DIR/mail
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from nrm.notify.delivery import IDEMPOTENCY_HEADER

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class IdempotentFileBackend(BaseEmailBackend):
    def __init__(self, *args: Any, file_path: str | os.PathLike[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.directory = Path(file_path or Path(settings.VAR_DIR) / "mail")

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        delivered = self.directory / "delivered"
        delivered.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            self._deliver_once(message, delivered)
        return len(email_messages)

    def _deliver_once(self, message: EmailMessage, delivered: Path) -> None:
        key = str(message.extra_headers.get(IDEMPOTENCY_HEADER) or make_msgid())
        target = delivered / f"{_UNSAFE.sub('_', key)}.eml"
        try:
            descriptor = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            self._note("repeats.log", key)
            return
        with os.fdopen(descriptor, "wb") as file:
            file.write(message.message().as_bytes())
        self._note("deliveries.log", key)

    def _note(self, name: str, key: str) -> None:
        line = f"{time.time():.6f} {os.getpid()} {key}\n".encode()
        descriptor = os.open(self.directory / name, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)


def delivery_counts(directory: Path) -> tuple[set[str], int]:
    """The idempotency keys delivered (from ``delivered/``) and the number of repeated sends."""
    keys = {path.stem for path in (directory / "delivered").glob("*.eml")}
    repeats_log = directory / "repeats.log"
    repeats = len(repeats_log.read_text().splitlines()) if repeats_log.exists() else 0
    return keys, repeats
