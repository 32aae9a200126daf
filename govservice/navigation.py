"""Navigation by role, contributed by each app.

Each app may have a `nav.py` with `nav_items(user) -> list[NavItem]`; the base
template shows the items of every installed app, in INSTALLED_APPS order, and
the home page shows them as cards with their descriptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from django.apps import apps

if TYPE_CHECKING:
    from staff.models import User


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    description: str = ""
    section: str = ""
    badge: int | None = None


def nav_items_for(user: User) -> list[NavItem]:
    items: list[NavItem] = []
    if not user.is_authenticated:
        return items
    configs = list(apps.get_app_configs())
    position = {config.label: index for index, config in enumerate(configs)}
    modules: list[tuple[float, object]] = []
    for index, config in enumerate(configs):
        try:
            module = import_module(f"{config.name}.nav")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.nav":
                raise
            continue
        # An app may ask to be shown right after a lower app (NAV_AFTER = "staff"): the menu keeps
        # its order when a section moves into a new, higher app.
        after = getattr(module, "NAV_AFTER", None)
        modules.append((position[after] + 0.5 if after else float(index), module))
    for _order, module in sorted(modules, key=lambda pair: pair[0]):
        items.extend(module.nav_items(user))  # type: ignore[attr-defined]
    return items
