"""A pytest plugin that hides chromium, for the test that a missing browser fails under CI=true."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import FileDescriptorOrPath

_which, _exists = shutil.which, os.path.exists


def _no_chromium_which(cmd: str, mode: int = os.F_OK | os.X_OK, path: str | None = None) -> str | None:
    return None if cmd == "chromium" else _which(cmd, mode, path)


def _no_chromium_exists(path: FileDescriptorOrPath) -> bool:
    return False if str(path).endswith("/chromium") else _exists(path)


# shutil.which is overloaded for bytes and PathLike too; the browser fixture looks up only str names.
shutil.which = _no_chromium_which  # type: ignore[assignment]  # a str-only stand-in, see above
os.path.exists = _no_chromium_exists
