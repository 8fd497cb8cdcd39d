from __future__ import annotations

from nrm.api.idempotency import idempotency_keys_expire
from nrm.core.periodic import register


@register("api.expire_idempotency_keys")
def expire_idempotency_keys() -> int:
    return idempotency_keys_expire()
