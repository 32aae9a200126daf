"""Reads from a streaming replica, by explicit opt-in only (DATABASE_REPLICA_URL; docs/scaling.md).

A read goes to the replica only when all of these hold:
- a replica is configured (settings.READ_REPLICA_ALIAS names it);
- the code asked for it: `with use_replica():` or `@use_replica()` (reports, the dashboard, exports, the
  monthly scoring's figures), never a guess by model or URL;
- the request is not pinned to the primary: the request itself writes (POST, PUT, PATCH, DELETE), or the
  same browser wrote something in the last REPLICA_READ_YOUR_WRITES_SECONDS (ReadYourWritesMiddleware's
  cookie), so a person always sees their own change on the next page;
- no transaction is open on the primary: a read inside a write transaction must see that transaction's
  own rows and locks (the hazard: a scoring run reading stale figures under its SELECT … FOR UPDATE).

Every write goes to the primary. A value put in the shared cache (the work calendar, a centre's reply-deadline
rules, staff phones, the inbox count) is read inside `use_primary()`: its writer drops it at once, and a lagging
replica would otherwise put the old value back for the cache's whole timeout.

A replica that cannot be reached (stopped, failed over, its network gone) does not take the pages with it: the
first read that would go there tries to connect, and on failure every read of this process goes to the primary
for REPLICA_RETRY_SECONDS (30 by default), with one warning in the log; then the replica is tried again. The
primary carried every read before the replica existed, so this is a slower page, not a broken one. A replica
that fails in the middle of a read still fails that request: the next one reads from the primary.

Without a replica this module changes nothing.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

_replica_wanted: ContextVar[bool] = ContextVar("govservice_replica_wanted", default=False)
_primary_pinned: ContextVar[bool] = ContextVar("govservice_primary_pinned", default=False)

# The cookie a browser carries for REPLICA_READ_YOUR_WRITES_SECONDS after it wrote something. Its value is
# not trusted for anything: a forged one only sends that browser's reads to the primary.
WROTE_COOKIE = "gs_wrote"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def replica_alias() -> str | None:
    """The replica's database alias, or None when reads have nowhere else to go."""
    return getattr(settings, "READ_REPLICA_ALIAS", None)


@contextmanager
def use_replica() -> Iterator[None]:
    """Reads inside may come from the replica (see the module's rules); also a decorator: `@use_replica()`."""
    token = _replica_wanted.set(True)
    try:
        yield
    finally:
        _replica_wanted.reset(token)


@contextmanager
def use_primary() -> Iterator[None]:
    """Every read inside comes from the primary, whatever an outer `use_replica()` asked."""
    token = _primary_pinned.set(True)
    try:
        yield
    finally:
        _primary_pinned.reset(token)


# Until when (time.monotonic()) this process reads from the primary because the replica could not be reached.
_unreachable_until = 0.0


def replica_reachable(alias: str) -> bool:
    """Connected to the replica, or connecting now succeeds; else False for REPLICA_RETRY_SECONDS.

    Connected already (a persistent connection), this is one attribute test: the router asks it per query."""
    global _unreachable_until
    connection = connections[alias]
    if connection.connection is not None:
        return True
    now = time.monotonic()
    if now < _unreachable_until:
        return False
    try:
        connection.ensure_connection()
    except OperationalError as error:
        seconds = settings.REPLICA_RETRY_SECONDS
        _unreachable_until = now + seconds
        logger.warning(
            "The read replica %r cannot be reached (%s); reads go to the primary for %s s.",
            alias,
            type(error).__name__,
            seconds,
        )
        return False
    return True


def replica_unreachable_forget() -> None:
    """Try the replica at the next read (tests; an operator's shell after a fail-over)."""
    global _unreachable_until
    _unreachable_until = 0.0


def reads_from_replica() -> bool:
    """Would a read here go to the replica? (The router's one rule, for the router and the tests.)"""
    alias = replica_alias()
    return (
        alias is not None
        and _replica_wanted.get()
        and not _primary_pinned.get()
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        and replica_reachable(alias)
    )


def replica_view[**P, R](view: Callable[P, R]) -> Callable[P, R]:
    """A read-only view whose reads may come from the replica.

    The signed-in user (and so the session) is loaded from the primary first: a session made by a login a
    moment ago may not have reached the replica yet.
    """

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        request = next((a for a in args if isinstance(a, HttpRequest)), None)
        request = request or getattr(args[1] if len(args) > 1 else None, "_request", None)
        user = getattr(request, "user", None)
        if user is not None:
            user.is_authenticated  # noqa: B018 - evaluates the lazy user on the primary
        with use_replica():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    """Sends the reads that asked for it to the replica and everything else to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        alias = replica_alias()
        if alias is not None and reads_from_replica():
            return alias
        # Explicitly the primary, not None: with None Django would follow an instance's own database, and a
        # row once read from the replica would drag every later read of its relations there.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica is a copy of the primary: a row read there may be the foreign key of a row written here.
        ours = {DEFAULT_DB_ALIAS, replica_alias()}
        if obj1._state.db in ours and obj2._state.db in ours:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        # A streaming replica is read-only and receives the primary's schema through the WAL.
        if db == replica_alias():
            return False
        return None


class ReadYourWritesMiddleware:
    """Pins a request to the primary when it writes or when its browser wrote a moment ago.

    Without a replica it does nothing and sets no cookie.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if replica_alias() is None:
            return self.get_response(request)
        writes = request.method in UNSAFE_METHODS
        pinned = writes or WROTE_COOKIE in request.COOKIES
        token = _primary_pinned.set(True) if pinned else None
        try:
            response = self.get_response(request)
        finally:
            if token is not None:
                _primary_pinned.reset(token)
        # Browsers only (a session cookie sent, or a session begun by this request, e.g. a login: SessionMiddleware
        # sets its cookie after this middleware's turn): a channel's key-authenticated POSTs carry no session and
        # need no Set-Cookie on the intake's hot path. `is_empty()` reads no row.
        session = getattr(request, "session", None)
        browser = settings.SESSION_COOKIE_NAME in request.COOKIES or (session is not None and not session.is_empty())
        if writes and browser:
            response.set_cookie(
                WROTE_COOKIE,
                "1",
                max_age=settings.REPLICA_READ_YOUR_WRITES_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
