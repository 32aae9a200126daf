"""A pytest plugin that hides chromium, for the test that a missing browser fails under CI=true."""

from __future__ import annotations

import os
import shutil

_which, _exists = shutil.which, os.path.exists


def _no_chromium_which(name, *args, **kwargs):
    return None if name == "chromium" else _which(name, *args, **kwargs)


def _no_chromium_exists(path) -> bool:
    return False if str(path).endswith("/chromium") else _exists(path)


shutil.which = _no_chromium_which
os.path.exists = _no_chromium_exists
