"""Health check, the docker-compose file, the Celery wiring and the translations."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import polib
import pytest
import yaml
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.urls import reverse

from govservice.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_reports_database_cache_and_broker(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_says_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "error"
    assert response.json()["checks"]["database"] == "ok"


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_services_with_health_checks_and_volumes():
    compose = _compose()
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name], name
    assert {"pgdata", "media"} <= set(compose["volumes"])
    assert services["web"]["environment"]["DATABASE_URL"].startswith("postgres://")
    assert services["web"]["environment"]["CELERY_BROKER_URL"].startswith("redis://")


def test_compose_runs_exactly_one_beat_and_scalable_workers():
    services = _compose()["services"]
    beats = [name for name, svc in services.items() if "beat" in " ".join(_command(svc))]
    assert beats == ["beat"]
    assert "container_name" not in services["worker"]  # `--scale worker=N` needs no fixed name


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_every_compose_command_exists_in_the_project():
    services = _compose()["services"]
    for name in ("web", "worker", "beat"):
        argv = _command(services[name])
        if argv[0] == "gunicorn":
            module = argv[-1].split(":")[0]
            assert (ROOT / (module.replace(".", "/") + ".py")).exists(), argv
        elif argv[0] == "celery":
            assert argv[1:3] == ["-A", "govservice"], argv
            assert (ROOT / "govservice" / "celery.py").exists()
        else:
            raise AssertionError(f"unexpected command for {name}: {argv}")
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements.txt" in dockerfile
    assert "collectstatic" in dockerfile


def test_web_runs_gunicorn_with_sync_workers_and_whitenoise_serves_static():
    argv = _command(_compose()["services"]["web"])
    assert "--worker-class" not in argv or argv[argv.index("--worker-class") + 1] == "sync"
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE


def test_celery_takes_its_settings_from_django_and_finds_every_apps_tasks():
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.broker_url == settings.CELERY_BROKER_URL


def test_a_worker_keeps_its_database_connection_between_tasks_and_drops_it_as_django_would(monkeypatch):
    """Celery's fix-up keeps the connection for CELERY_DB_REUSE_MAX tasks; around each task Django's own
    rules (CONN_MAX_AGE, health check, a connection that saw an error) decide, except for eager tasks."""
    from celery.fixups.django import DjangoWorkerFixup

    from govservice import celery as celery_module

    assert DjangoWorkerFixup(celery_app).db_reuse_max == settings.CELERY_DB_REUSE_MAX > 1
    calls = []
    monkeypatch.setattr("django.db.close_old_connections", lambda: calls.append("closed-old"))

    class Request:
        is_eager = False

    class Sender:
        request = Request()

    celery_module.close_old_connections(sender=Sender())
    assert calls == ["closed-old"]
    Request.is_eager = True  # an eager task runs inside its caller's transaction: leave it alone
    celery_module.close_old_connections(sender=Sender())
    assert calls == ["closed-old"]
    assert celery_module.close_old_connections in [r[1]() for r in task_prerun.receivers]
    assert celery_module.close_old_connections in [r[1]() for r in task_postrun.receivers]


def test_no_periodic_job_runs_more_often_than_every_ten_seconds():
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        seconds = getattr(schedule, "total_seconds", lambda s=schedule: s)()
        if isinstance(seconds, (int, float)):
            assert seconds >= 10, name


def _catalogues() -> list[Path]:
    return sorted(p for p in ROOT.glob("**/locale/en/LC_MESSAGES/django.po") if ".venv" not in p.parts)


def test_english_catalogues_are_complete_and_compiled():
    catalogues = _catalogues()
    assert catalogues, "no English catalogue found"
    for po_path in catalogues:
        po = polib.pofile(str(po_path))
        missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
        assert not missing, f"{po_path}: untranslated {missing[:10]}"
        mo_path = po_path.with_suffix(".mo")
        assert mo_path.exists(), f"{mo_path} is missing: run `make messages`"
        compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(mo_path))}  # a context keeps its own
        for entry in po:
            if not entry.obsolete and entry.msgstr:
                assert compiled.get((entry.msgctxt, entry.msgid)) == entry.msgstr, (
                    f"{mo_path} is stale: run `make messages`"
                )


@pytest.mark.django_db
def test_an_unknown_api_path_answers_in_the_api_error_shape(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_lost_database_connection_answers_503_with_retry_after_in_the_api_error_shape(
    as_user, window_staff, monkeypatch, language
):
    from django.db import OperationalError

    from cases import api as cases_api

    def restarting(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(cases_api.selectors, "case_list_for", restarting)
    response = as_user(window_staff).get(reverse("api:case-list"), headers={"accept-language": language})
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["code"] == "unavailable"
    assert (
        body["message"]
        == {
            "zh-hans": "服务暂时不可用，请稍后重试。",
            "en": "Service temporarily unavailable; please try again shortly.",
        }[language]
    )


@pytest.mark.django_db
def test_an_unknown_page_is_an_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_every_picture_and_document_the_readme_links_exists():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = set(re.findall(r"\]\(((?:docs|scripts)/[^)#]+)\)", text))
    assert any(t.endswith(".png") for t in targets), "the README shows no screenshot"
    missing = sorted(t for t in targets if not (ROOT / t).exists())
    assert not missing, f"README links to missing files: {missing}"
