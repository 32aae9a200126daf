"""Small, rarely changed values kept in each process while a shared token says they are current.

The channel POST reads a few such values on every request (the work calendar, a centre's reply rules,
its feedback policy). Kept in the shared cache, each read still cost a cache call that unpickles the
whole value (and, on Django's RedisCache, built a redis-py client: ~0.2–0.3 ms each). Here each
process keeps the value it last read, with the *token* that was current before it read it; a read
costs one small GET of the token (on the default cache's Redis through one client per process,
govservice/redis_client.py; elsewhere through the cache API). Whoever changes the value calls
`forget()`, which replaces the token now and again after commit, so every process reads the value
afresh on its next use. No copy is used longer than `seconds` after it was read: the same bound the
shared cache's timeout gives today for a write no signal sees. A cache outage only means reading
the value each time.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Hashable

from django.core.cache import cache, caches
from django.db import transaction

from .redis_client import default_redis

logger = logging.getLogger(__name__)
_TOKEN_SECONDS = 24 * 3600


def token_get(name: str) -> str | None:
    client = default_redis()
    if client is None:
        return cache.get(name)
    raw = client.get(caches["default"].make_key(name))
    return raw.decode() if isinstance(raw, bytes) else raw


def token_issue(name: str) -> str | None:
    """A token for a name that has none: the new token, or None when another process issued one first."""
    token = uuid.uuid4().hex
    client = default_redis()
    if client is None:
        return token if cache.add(name, token, _TOKEN_SECONDS) else None
    return token if client.set(caches["default"].make_key(name), token, nx=True, ex=_TOKEN_SECONDS) else None


def tokens_replace(names: list[str]) -> None:
    tokens = {name: uuid.uuid4().hex for name in names}
    client = default_redis()
    if client is None:
        cache.set_many(tokens, _TOKEN_SECONDS)
        return
    make_key = caches["default"].make_key
    pipe = client.pipeline(transaction=False)
    for name, token in tokens.items():
        pipe.set(make_key(name), token, ex=_TOKEN_SECONDS)
    pipe.execute()


class ProcessCopies[T]:
    """`get(key, load)`: this process's copy while the key's token holds, else `load()` (kept for next time)."""

    def __init__(self, name: str, *, seconds: float, max_entries: int = 1000) -> None:
        self.name = name
        self.seconds = seconds
        self.max_entries = max_entries
        self._copies: dict[Hashable, tuple[str, float, T]] = {}
        self._lock = threading.Lock()

    def token_name(self, key: Hashable) -> str:
        return f"process-copy:{self.name}:{key}"

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        try:
            token = token_get(self.token_name(key))
        except Exception:  # the cache is down: read the value, keep nothing
            logger.warning("%s: token unavailable; reading the value", self.name, exc_info=True)
            return load()
        if token is not None:
            copy = self._copies.get(key)
            if copy is not None and copy[0] == token and time.monotonic() - copy[1] < self.seconds:
                return copy[2]
        else:
            try:
                token = token_issue(self.token_name(key))  # None: another process was first; keep nothing now
            except Exception:
                logger.warning("%s: token unavailable; not kept", self.name, exc_info=True)
        # The token is read (or issued) BEFORE the value: a change in between replaces it, so this copy never
        # matches.
        read_at = time.monotonic()
        value = load()
        if token is None:
            return value
        with self._lock:
            if len(self._copies) >= self.max_entries:
                self._copies.clear()
            self._copies[key] = (token, read_at, value)
        return value

    def forget(self, *keys: Hashable, using: str | None = None) -> None:
        """The values changed: every process reads them afresh (now, and again after the commit)."""
        self.forget_now(*keys)
        transaction.on_commit(lambda: self.forget_now(*keys), using=using)

    def forget_now(self, *keys: Hashable) -> None:
        """Replace the keys' tokens now (`forget` also does it after the commit)."""
        try:
            tokens_replace([self.token_name(key) for key in keys])
        except Exception:
            logger.warning("%s: token unavailable; copies expire within %s s", self.name, self.seconds)

    def clear_this_process(self) -> None:
        """Tests: forget this process's copies (the tokens stay)."""
        self._copies.clear()


__all__ = ["ProcessCopies", "token_get", "token_issue", "tokens_replace"]
