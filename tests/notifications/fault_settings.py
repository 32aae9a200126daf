"""Settings for the worker-crash drill (test_worker_crash.py): the real settings, a backend that dies once."""

from govservice.settings import *  # noqa: F403

SMS_BACKEND = "tests.notifications.fault_backend.DieOnceAfterHandOverBackend"
SMS_SENDING_TIMEOUT_SECONDS = 2


class _NoMigrations:
    """Build the throw-away drill database straight from the models (`migrate --run-syncdb`): seconds, not a minute."""

    def __contains__(self, item: str) -> bool:
        return True

    def __getitem__(self, item: str) -> None:
        return None


MIGRATION_MODULES = _NoMigrations()
