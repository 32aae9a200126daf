"""Notes the apps above staff put on a person's home page (e.g. the duty rota's gaps for a leader).

staff may not import those apps, so each registers a function in its AppConfig.ready(); the home page
calls them all for the signed-in user and shows the notes each returns. A function costs queries only
on the home page, never on every page as the navigation's badges would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import User


@dataclass(frozen=True)
class HomeNote:
    text: str
    url: str = ""
    link_text: str = ""
    warn: bool = False
    metric: str = ""  # a figure of the registry (govservice.metrics): shown, linked to its rows, after the text


_sources: dict[str, Callable[[User], list[HomeNote]]] = {}


def register(name: str, source: Callable[[User], list[HomeNote]]) -> None:
    _sources[name] = source


def notes_for(user: User) -> list[HomeNote]:
    return [note for _name, source in sorted(_sources.items()) for note in source(user)]
