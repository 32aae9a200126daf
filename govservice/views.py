"""Cross-cutting views: the health check and the error handlers."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
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


def _error_page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    """A 400/403/404 page in the site's layout (navigation, language switch, a way back). When that layout
    cannot be rendered (its navigation reads the database), the plain error page stands in."""
    try:
        return render(request, template, status=status)
    except Exception:
        logger.exception("error page %s could not be rendered in the site's layout", status)
        return _plain_error_page(status)


_PLAIN_TEXT = {
    400: (gettext_lazy("请求有误（400）"), gettext_lazy("提交的内容无法处理，请返回后重试。")),
    403: (gettext_lazy("无权访问（403）"), gettext_lazy("您的角色不能使用此页面。")),
    404: (gettext_lazy("页面不存在（404）"), gettext_lazy("您要找的页面不存在，或不在您可查看的范围内。")),
    500: (gettext_lazy("系统出错（500）"), gettext_lazy("服务器内部错误，请稍后再试。")),
}


def _plain_error_page(status: int) -> HttpResponse:
    """The error page without a request context: no context processor, no database, no session. If even
    the template fails (a broken template directory), a few lines of HTML still say it in words."""
    title, message = (str(text) for text in _PLAIN_TEXT[status])
    try:
        body = loader.get_template("_error_page.html").render({"title": title, "message": message})
    except Exception:
        logger.exception("plain error page %s could not be rendered", status)
        body = (
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
            f'<body><h1>{escape(title)}</h1><p>{escape(message)}</p><p><a href="/">{escape(_("返回首页"))}</a></p>'
            "</body></html>"
        )
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("bad_request", str(_("请求有误。"))), status=400)
    return _error_page(request, "400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403: the API's one error shape under /api/, a translated page in the site's layout elsewhere."""
    if _wants_json(request):
        return JsonResponse(error_body("not_permitted", str(_("您没有权限执行此操作。"))), status=403)
    return _error_page(request, "403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: the API's one error shape under /api/, a translated page in the site's layout elsewhere."""
    if _wants_json(request):
        return JsonResponse(error_body("not_found", str(_("未找到。"))), status=404)
    return _error_page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: rendered without the request's context, so a failed database or context processor (the likely
    cause) cannot fail the error page too."""
    if _wants_json(request):
        return JsonResponse(error_body("server_error", str(_("服务器内部错误，请稍后再试。"))), status=500)
    return _plain_error_page(500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent with an expired or missing CSRF token: say so in words, with a way back."""
    logger.warning("CSRF check failed: %s", reason)
    return _plain_error_page(403) if _wants_json(request) else _error_page(request, "403_csrf.html", 403)


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


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (Django's admin): the site's own icon.

    Resolved per request, as `{% static %}` is: at import time the static manifest may not exist yet."""
    return HttpResponsePermanentRedirect(static("govservice/favicon.svg"))
