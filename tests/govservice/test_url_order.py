"""The URLconf's order (govservice/urls.py): the channel API's patterns first, the apps mounted at "" last. Order
is for speed only: every named URL still resolves to its own view, so no pattern shadows another."""

from __future__ import annotations

import re
import uuid

from django.urls import NoReverseMatch, URLResolver, get_resolver, resolve, reverse

SAMPLES = {"int": 7, "str": "x1", "slug": "x-1", "uuid": uuid.UUID(int=7), "path": "x/y"}
ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>")


def _named(resolver: URLResolver, namespaces: tuple[str, ...] = (), routes: str = ""):
    for pattern in resolver.url_patterns:
        route = routes + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from _named(pattern, inner, route)
        elif pattern.name:
            yield ":".join((*namespaces, pattern.name)), route


def _kwargs(route: str) -> dict[str, object]:
    kwargs: dict[str, object] = {m["name"]: SAMPLES[m["converter"] or "str"] for m in ROUTE_PARAMETER.finditer(route)}
    kwargs.update({m["name"]: "json" for m in REGEX_GROUP.finditer(route)})
    return kwargs


def test_every_named_url_resolves_to_its_own_view():
    checked, wrong = 0, []
    for name, route in _named(get_resolver()):
        try:
            url = reverse(name, kwargs=_kwargs(route))
        except NoReverseMatch:
            continue  # a pattern the samples do not fit (a regex of its own)
        checked += 1
        found = resolve(url).view_name
        if found != name and reverse(found, kwargs=resolve(url).kwargs) != url:
            wrong.append((name, url, found))
    assert not wrong
    assert checked > 300


def test_the_channel_api_is_tried_first_under_the_api():
    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/")
    first = [str(p.pattern) for p in api.url_patterns[:3]]
    assert all(route.startswith(("intake/", "feedback-status/", "queue/")) for route in first), first
