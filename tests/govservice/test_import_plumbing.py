"""Imports on their own queue and worker, with time limits; uploads written 0600."""

from __future__ import annotations

import importlib
import shlex
import stat
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from govservice.celery import app as celery_app
from govservice.uploads import import_storage

ROOT = Path(__file__).resolve().parents[2]
IMPORT_TASKS = [
    "intake.tasks.import_batch_run",
    "knowledge.tasks.import_batch_run",
    "rectification.tasks.ledger_import_run",
    "rectification.tasks.ledger_import_apply_run",
]


def _queue(task_name: str) -> str:
    return celery_app.amqp.router.route({}, task_name, args=(), kwargs={})["queue"].name


@pytest.mark.parametrize("name", IMPORT_TASKS)
def test_every_import_task_goes_to_the_imports_queue_with_a_time_limit(name):
    module, _, function = name.rpartition(".")
    task = getattr(importlib.import_module(module), function)
    assert _queue(name) == "imports"
    assert task.soft_time_limit == settings.IMPORT_TASK_SOFT_TIME_LIMIT
    assert task.time_limit == settings.IMPORT_TASK_TIME_LIMIT
    assert 0 < task.soft_time_limit < task.time_limit


def test_sms_and_webhooks_stay_on_the_default_queue():
    for name in ("notifications.tasks.sms_dispatch_task", "intake.tasks.webhook_deliver"):
        assert _queue(name) == celery_app.conf.task_default_queue != "imports"


def _worker_queues(argv: list[str]) -> set[str]:
    if "-Q" not in argv:
        return {celery_app.conf.task_default_queue}
    return set(argv[argv.index("-Q") + 1].split(","))


def _compose_workers() -> dict[str, set[str]]:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    workers = {}
    for name, service in services.items():
        command = service.get("command", [])
        argv = shlex.split(command) if isinstance(command, str) else list(command)
        if argv[:1] == ["celery"] and "worker" in argv:
            workers[name] = _worker_queues(argv)
    return workers


def _procfile_workers() -> dict[str, set[str]]:
    workers = {}
    for line in (ROOT / "Procfile.dev").read_text().splitlines():
        name, _, command = line.partition(":")
        argv = shlex.split(command)
        if argv[:1] == ["celery"] and "worker" in argv:
            workers[name] = _worker_queues(argv)
    return workers


@pytest.mark.parametrize("workers", [_compose_workers, _procfile_workers], ids=["compose", "procfile"])
def test_one_worker_takes_the_imports_and_the_default_worker_does_not(workers):
    queues = workers()
    assert any(q == {"imports"} for q in queues.values()), queues
    assert any(celery_app.conf.task_default_queue in q and "imports" not in q for q in queues.values()), queues


def test_web_and_the_import_worker_share_the_import_files_volume():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "imports" in compose["volumes"]
    for name in ("web", "import-worker"):
        service = compose["services"][name]
        assert any(v.startswith("imports:") for v in service["volumes"]), name
        assert service["environment"]["IMPORT_FILES_ROOT"] == "/var/lib/govservice/imports"


def test_uploaded_files_are_written_0600(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save("evidence/a.pdf", ContentFile(b"%PDF"))
    assert stat.S_IMODE(Path(default_storage.path(name)).stat().st_mode) == 0o600
    imported = import_storage().save("intake/imports/a.csv", ContentFile(b"13900001234"))
    path = Path(import_storage().path(imported))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert Path(settings.MEDIA_ROOT) not in path.parents
    with pytest.raises(ValueError):
        import_storage().url(imported)  # never served
