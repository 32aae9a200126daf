"""`check --deploy` refuses sessions or a cache that only one process sees (govservice/checks.py)."""

from __future__ import annotations


def test_deploy_check_refuses_sessions_or_a_cache_kept_in_one_process(settings):
    from govservice.checks import shared_state_check

    settings.TESTING = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}
    assert shared_state_check() == []  # database sessions, a cache on Redis: what production runs
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.file"
    assert [e.id for e in shared_state_check()] == ["govservice.E022"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    assert [e.id for e in shared_state_check()] == ["govservice.E021", "govservice.E022"]
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    assert [e.id for e in shared_state_check()] == ["govservice.E021"]
