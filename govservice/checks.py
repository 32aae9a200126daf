"""`manage.py check --deploy`: nothing a request needs may live in one process (docs/scaling.md).

Several web nodes (`docker compose up --scale web=3`) and gunicorn's several workers per node answer one
person's requests in turn: a session or a rate limit kept in one process's memory or on one node's disk would
sign people out at random and let a throttle be dodged by hitting another worker.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

PROCESS_LOCAL_CACHES = frozenset(
    {"django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache"}
)
NODE_LOCAL_SESSIONS = frozenset({"django.contrib.sessions.backends.file"})
CACHE_SESSIONS = frozenset({"django.contrib.sessions.backends.cache", "django.contrib.sessions.backends.cached_db"})


@register(Tags.caches, deploy=True)
def shared_state_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if getattr(settings, "TESTING", False):
        return errors  # the test suite keeps a cache per test process on purpose
    default_cache = settings.CACHES.get("default", {}).get("BACKEND", "")
    if default_cache in PROCESS_LOCAL_CACHES:
        errors.append(
            Error(
                f"The default cache ({default_cache}) is local to one process: throttles, lock-outs and "
                "cached figures differ between gunicorn workers and web nodes.",
                hint="Set REDIS_URL (several machines) or keep the embedded file cache (one machine).",
                id="govservice.E021",
            )
        )
    engine = settings.SESSION_ENGINE
    session_cache = settings.CACHES.get(getattr(settings, "SESSION_CACHE_ALIAS", "default"), {}).get("BACKEND", "")
    if engine in NODE_LOCAL_SESSIONS or (engine in CACHE_SESSIONS and session_cache in PROCESS_LOCAL_CACHES):
        errors.append(
            Error(
                f"Sessions ({engine}) are kept where only one process or node sees them: people are signed out "
                "whenever another worker or web node answers.",
                hint="Keep Django's database sessions (the default) or a cache on Redis.",
                id="govservice.E022",
            )
        )
    return errors
