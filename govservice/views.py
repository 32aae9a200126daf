"""Cross-cutting views: the health check and the error handlers."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults as django_defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .exceptions import error_body

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = "healthz:probe"
    token = str(time.monotonic())
    cache.set(key, token, 10)
    if cache.get(key) != token:
        raise RuntimeError("cache did not return the value just written")


def _check_broker() -> None:
    from kombu import Connection

    # A fresh connection, not the app's pool: a pooled connection can look
    # healthy after the broker went away.
    with Connection(
        settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS, connect_timeout=2
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: the API's one error shape under /api/, the normal page elsewhere."""
    if _wants_json(request):
        return JsonResponse(error_body("not_found", str(_("未找到。"))), status=404)
    return django_defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("server_error", str(_("服务器内部错误，请稍后再试。"))), status=500)
    return django_defaults.server_error(request)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, the cache and the Celery broker all answer, else 503."""
    checks = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure is a failed check, never a 500
            logger.warning("health check failed", extra={"check": name, "error": str(exc)})
            results[name] = "error"
    healthy = all(value == "ok" for value in results.values())
    body = {"status": "ok" if healthy else "error", "checks": results}
    if settings.DEBUG:
        body["broker_url"] = settings.CELERY_BROKER_URL.split("://", 1)[0] + "://"
    return JsonResponse(body, status=200 if healthy else 503)
