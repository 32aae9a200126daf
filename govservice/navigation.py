"""Navigation by role, contributed by each app.

Each app may have a `nav.py` with `nav_items(user) -> list[NavItem]`; the base
template shows the items of every installed app, in INSTALLED_APPS order grouped by
section, and the home page shows them as cards with their descriptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

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
    # A badge that costs queries may load after the page (htmx, from `badge_url`) instead of with every page;
    # `key` names it in the page (`nav-badge-<key>`) so a partial update can replace it (htmx out-of-band).
    key: str = ""
    badge_url: str = ""
    badge_metric: str = ""  # the registry's name of the badge's figure (govservice.metrics), shown as data-metric


def nav_items_for(user: AbstractBaseUser | AnonymousUser) -> list[NavItem]:
    items: list[NavItem] = []
    if not user.is_authenticated:
        return items
    configs = list(apps.get_app_configs())
    position = {config.label: index for index, config in enumerate(configs)}
    modules: list[tuple[float, ModuleType]] = []
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
        items.extend(module.nav_items(user))
    # One heading per section: an app later in INSTALLED_APPS (the dashboard, after the ledger)
    # joins the section an earlier app opened. Stable: the order inside a section is kept.
    # Items without a section stay where their app put them.
    first_seen: dict[str, int] = {}
    order = [first_seen.setdefault(item.section, i) if item.section else i for i, item in enumerate(items)]
    return [item for _key, _i, item in sorted(zip(order, range(len(items)), items, strict=True))]
