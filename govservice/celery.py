"""The Celery app. Settings come from Django's settings with the CELERY_ prefix."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")

app = Celery("govservice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_old_connections(sender: Task | None = None, **kwargs: Any) -> None:
    """Before and after each task, what Django does around each request: drop a connection that
    is too old (CONN_MAX_AGE), failed its health check or saw an error, keep the others.

    With CELERY_DB_REUSE_MAX set, Celery keeps connections across tasks, so
    this is what reconnects a worker after a database restart. Not for eager
    tasks: they run inside the caller's transaction.
    """
    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections as django_close_old_connections

    django_close_old_connections()
