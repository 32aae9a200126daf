"""The outbound platform outbox: messages this project owes to the external platforms a centre works with
(the 12345 hotline's work-order platform, the provincial 好差评 platform).

- `models.py`   `PlatformMessage` (one row per message) and `PlatformStream` (the per-stream sequence counter).
- `registry.py` a platform's adapter (code, batch size, body builder, answer reader); registered in `ready()`.
- `signing.py`  the HMAC signature of every request, and its verification (for the receiving side and tests).
- `outbox.py`   enqueue (inside the caller's transaction), claim, send, acknowledge, retry, reap.
- `selectors.py` the reconciliation page's figures and the failed messages, scoped by centre.

Guarantees (docs/platform-outbox.md): written in the same transaction as the change that causes it; sent after
commit through `govservice.outbound.request()`; retried with exponential back-off; once per message (claimed with
a conditional update; the message id travels as the idempotency key so the receiver drops a repeat); in order per
stream (a message waits while an earlier one of its stream is unsent); nothing lost while a platform is down (the
beat task resumes due messages every minute).
"""
