import hashlib
import hmac
import time


def verify_descent_signature(signature: str, body: bytes, secret: str, tolerance_seconds: int = 300) -> bool:
    """Verifies a descent webhook: `signature` is the Descent-Signature header, `body` the raw
    request body (bytes, as received), `secret` the server's WEBHOOK_SECRET."""
    parts = dict(part.split("=", 1) for part in signature.split(",") if "=" in part)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - t) > tolerance_seconds:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))
