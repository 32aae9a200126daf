"""The signature on every outbox request: `X-Govservice-Signature: t=<unix seconds>,v1=<hex>`.

`v1` is HMAC-SHA256 over `"<t>." + body` (the exact bytes sent) with the platform's shared secret. The timestamp
is inside the signed text, so a captured request cannot be replayed later than the receiver's tolerance.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Govservice-Signature"
PLATFORM_HEADER = "X-Govservice-Platform"
MESSAGE_IDS_HEADER = "X-Govservice-Message-Ids"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_TOLERANCE_SECONDS = 300


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def platform_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def platform_signature_verify(
    *, secret: str, header: str, body: bytes, now: int, tolerance: int = DEFAULT_TOLERANCE_SECONDS
) -> bool:
    """Whether `header` signs `body` with `secret` and is no older (or newer) than `tolerance` seconds.

    Any malformed header is simply not valid; the comparison takes constant time.
    """
    if not secret:
        return False  # an empty secret would let anyone sign
    parts: dict[str, str] = {}
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep or name in parts:
            return False
        parts[name] = value
    if set(parts) != {"t", "v1"} or not parts["t"].isdigit() or len(parts["t"]) > 12:
        return False
    timestamp = int(parts["t"])
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts["v1"], _digest(secret, timestamp, body))
