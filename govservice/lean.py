"""Middleware that only pages and signed-in staff need, skipped on the channel API.

A channel partner calls `/api/v1/intake/…` and Open311 (`/open311/…`) with a key, or not at all (public
status look-ups): it has no session, no signed-in user, no flash messages, no CSRF cookie (the views are
CSRF-exempt: a key is not ambient authority), no htmx and no idle time-out. The classes here are the
project's session, authentication, messages and htmx middleware, subclassed (so that Django's system
checks still find them) to step aside on those paths (CSRF stays Django's own, by name, for `check --deploy`;
on csrf_exempt views it returns at once): ~95 µs less per request of the ~210 µs the whole
middleware chain costs there (bench/profile_request.py; docs/benchmarks.md). `request.user` is still set
(anonymous: a channel is not a person) for any code that reads it. Every other path is unchanged;
security headers, CSP, the locale (the answer's language), the control-character guard, Axes and the
Retry-After middleware run everywhere.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csp import ContentSecurityPolicyMiddleware as DjangoContentSecurityPolicyMiddleware
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.csp import CSP, build_policy
from django_htmx.middleware import HtmxMiddleware as DjangoHtmxMiddleware

# The channel API's path prefixes: key-authenticated or public, never a session.
CHANNEL_API_PREFIXES = ("/api/v1/intake/", "/open311/")


def is_channel_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(CHANNEL_API_PREFIXES)


class _PagesOnly:
    """Mixed in before a Django middleware class: on the channel API, straight to the next one."""

    def __call__(self, request: HttpRequest) -> Any:
        if is_channel_api(request):
            return self.get_response(request)  # type: ignore[attr-defined]  # the middleware's own
        return super().__call__(request)  # type: ignore[misc]  # the Django middleware this is mixed into


class SessionMiddleware(_PagesOnly, DjangoSessionMiddleware):
    pass


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    def __call__(self, request: HttpRequest) -> Any:
        if is_channel_api(request):
            request.user = AnonymousUser()
            return self.get_response(request)
        return super().__call__(request)


class MessageMiddleware(_PagesOnly, DjangoMessageMiddleware):
    pass


class HtmxMiddleware(_PagesOnly, DjangoHtmxMiddleware):
    pass


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, without looking for a language in the path when the URLconf has no `i18n_patterns()` (this
    project's has none): Django's class asks twice per request, and a path's first segment that is no language
    ("api", "cases") fails the look-up uncached each time. The same language (cookie, Accept-Language, then
    LANGUAGE_CODE), the same `Vary: Accept-Language` and `Content-Language`; with i18n_patterns it is Django's."""

    def process_request(self, request: HttpRequest) -> None:
        if is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]:
            super().process_request(request)
            return
        translation.activate(translation.get_language_from_request(request, check_path=False))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]:
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def _has_nonce(config: Any) -> bool:
    return any(
        values == CSP.NONCE or (isinstance(values, list | tuple | set) and CSP.NONCE in values)
        for values in config.values()
    )


class ContentSecurityPolicyMiddleware(DjangoContentSecurityPolicyMiddleware):
    """Django's, with the header built once per policy instead of once per response: SECURE_CSP (and
    SECURE_CSP_REPORT_ONLY) hold no nonce here, so every response's header is the same string. A policy with
    CSP.NONCE, or a view's own (`@csp_override`, `@csp_report_only_override`), goes through Django's code."""

    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)
        # {header: (the settings' policy object, its header value)}: rebuilt when the setting is another object.
        self._built: dict[str, tuple[Any, str]] = {}

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if hasattr(response, "_csp_config") or hasattr(response, "_csp_ro_config"):
            return super().process_response(request, response)
        config: Any
        for header, config in (
            (str(CSP.HEADER_ENFORCE), settings.SECURE_CSP),
            (str(CSP.HEADER_REPORT_ONLY), settings.SECURE_CSP_REPORT_ONLY),
        ):
            if not config or header in response:
                continue
            built = self._built.get(header)
            if built is None or built[0] is not config:
                if _has_nonce(config):
                    return super().process_response(request, response)
                built = self._built[header] = (config, build_policy(config))
            response.headers[header] = built[1]
        return response
