"""Navigation by role, contributed by each app.

Each app may have a `nav.py` with `nav_items(user) -> list[NavItem]`; the base
template shows the items of every installed app, in INSTALLED_APPS order, and
the home page shows them as cards with their descriptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    description: str = ""
    section: str = ""
    badge: int | None = None


def nav_items_for(user: AbstractBaseUser | AnonymousUser) -> list[NavItem]:
    items: list[NavItem] = []
    if not user.is_authenticated:
        return items
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.nav")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.nav":
                raise
            continue
        items.extend(module.nav_items(user))
    return items
