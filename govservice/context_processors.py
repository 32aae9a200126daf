from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from .navigation import NavItem, nav_items_for


class LazyNavigation:
    """The navigation, built on first use and once per request.

    Context processors run for every template rendered with a request, htmx
    partials included; the badge counts cost queries, so nothing is computed
    unless a template actually iterates over the navigation.
    """

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def items(self) -> list[NavItem]:
        user = self.request.user
        if isinstance(user, AnonymousUser):  # nothing to show before login (nav_items_for says so too)
            return []
        return nav_items_for(user)

    def __iter__(self) -> Iterator[NavItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    navigation = getattr(request, "_govservice_navigation", None)
    if navigation is None:
        navigation = request._govservice_navigation = LazyNavigation(request)  # type: ignore[attr-defined]
    return {"nav_items": navigation}
