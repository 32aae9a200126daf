"""Settings for `pytest` (and mypy's Django plugin): the real settings, with the test environment as defaults.

Plain `pytest` from the repository root must work without the Makefile's variables. pytest-django imports the
settings module inside its own `pytest_load_initial_conftests` hook, before any conftest.py is loaded, so a
conftest cannot set these in time; this module is the settings module pytest-django imports (pyproject.toml),
and it sets the defaults before the real settings read the environment. Values already in the environment
(`make test`, DATABASE_URL, CELERY_BROKER_URL, ...) win. They are set in os.environ, not only here, so the
subprocesses that tests start (a worker, a server, manage.py) boot with the same configuration.
"""

from __future__ import annotations

import os

TEST_ENVIRONMENT = {
    "GOVSERVICE_TESTING": "1",
    "SECRET_KEY": "test-only-secret",
    "DEBUG": "0",
}  # as the Makefile's TEST_ENV

for _name, _value in TEST_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)

from govservice.settings import *  # noqa: E402, F403 - after the defaults above, which it reads at import
