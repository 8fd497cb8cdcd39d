"""``Idempotency-Key`` on the API's writes (creating and submitting a referral, recording a decision).

A client that does not know whether its request arrived (a timeout, a dropped connection) sends it
again with the same key and gets the answer the first one got; nothing is written twice. How:

- the key is claimed by inserting a row under a unique (client, key) constraint in the same
  transaction as the write, so two requests with one key at once are serialised by the database:
  the second waits for the first to commit, then replays its answer;
- the row records a fingerprint of the method, path and body: the same key with a different request
  is refused with 422 (a client bug, never a silent replay of another answer);
- only successful answers are kept; a refused request (invalid answers, a rule of the lifecycle)
  leaves no row, so the client may correct it and send it again under the same key;
- keys are kept for ``KEEP_FOR`` and then forgotten (``idempotency_keys_expire``, a periodic job).

Without the header a write is simply done (submitting a referral is idempotent by itself).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.api.models import ApiClient, IdempotentRequest
from nrm.core.api_errors import error_body

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class _Refused(Exception):
    """Raised inside the transaction to undo the key's claim when the write was refused."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256("\0".join((request.method or "", request.path, body)).encode()).hexdigest()


def _bad_key(message: str) -> Response:
    return Response(error_body("ValidationError", message, field=HEADER, fields={HEADER: [message]}),
                    status=status.HTTP_400_BAD_REQUEST)


def _replay(record: IdempotentRequest, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        return Response(error_body("IdempotencyKeyReused",
                                   f"This {HEADER} was used for a different request. Use a new key for a new request.",
                                   field=HEADER), status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    response = Response(record.response, status=record.status or status.HTTP_200_OK)
    response["Idempotent-Replayed"] = "true"
    return response


def _claim(client: ApiClient, key: str, fingerprint: str, at: datetime) -> IdempotentRequest | None:
    """The new claim, or None when the key is taken (by a live request: the caller replays it)."""
    IdempotentRequest.objects.filter(client=client, key=key, created_at__lt=at - KEEP_FOR).delete()
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(client=client, key=key, fingerprint=fingerprint, created_at=at)
    except IntegrityError:
        return None


def idempotent(request: Request, write: Callable[[], Response]) -> Response:
    """Run ``write`` once per (client, ``Idempotency-Key``); replay its answer for a repeat."""
    key = request.headers.get(HEADER)
    client = request.auth if isinstance(request.auth, ApiClient) else None
    if key is None or client is None:  # a signed-in person's browser session has no keys to keep
        return write()
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        return _bad_key(f"The {HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters.")
    fingerprint = _fingerprint(request)
    try:
        with transaction.atomic():
            record = _claim(client, key, fingerprint, timezone.now())
            if record is None:
                return _replay(IdempotentRequest.objects.get(client=client, key=key), fingerprint)
            response = write()
            if not status.is_success(response.status_code):
                raise _Refused(response)
            record.status, record.response = response.status_code, response.data
            record.save(update_fields=["status", "response"])
            return response
    except _Refused as refused:
        return refused.response


def idempotency_keys_expire(*, now: datetime | None = None) -> int:
    """Forget keys older than ``KEEP_FOR``; returns how many."""
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=(now or timezone.now()) - KEEP_FOR).delete()
    return deleted
