"""GOV.UK Notify's delivery receipts (callbacks): POST /notify/receipts with a bearer token.

Notify sends the token set as the callback's bearer token on every receipt; it is compared with
``NRM_NOTIFY_RECEIPT_TOKEN`` in constant time. With no token configured every receipt is refused.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nrm.notify.services import outbox_record_receipt

MAX_RECEIPT_BYTES = 16 * 1024


def _authorised(request: HttpRequest) -> bool:
    expected = settings.NOTIFY_RECEIPT_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def _receipt(request: HttpRequest) -> dict[str, Any] | None:
    if len(request.body) > MAX_RECEIPT_BYTES:
        return None
    try:
        payload = json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict) or not all(isinstance(payload.get(k, ""), str) or payload.get(k) is None
                                                for k in ("id", "reference", "status")):
        return None
    return payload


@csrf_exempt
def receipts(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        response = JsonResponse({"error": "A valid bearer token is required"}, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    if request.method != "POST":
        return JsonResponse({"error": "POST a delivery receipt"}, status=405, headers={"Allow": "POST"})
    payload = _receipt(request)
    if payload is None:
        return JsonResponse({"error": "The body must be a JSON delivery receipt"}, status=400)
    try:
        message = outbox_record_receipt(reference=payload.get("reference") or "",
                                        provider_id=payload.get("id") or "", status=payload.get("status") or "")
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if message is None:
        return JsonResponse({"error": "No such message"}, status=404)
    return JsonResponse({"recorded": message.delivery_status})
