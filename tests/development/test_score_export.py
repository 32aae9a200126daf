"""A month's service-star HR table as a background export (govservice/exports): the month page's button,
the task's file (one row per person, the reward flag), the centre's own managers only, who and when recorded."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse
from openpyxl import load_workbook

from development.scoring import scoring_run_month
from govservice.exceptions import NotFound
from govservice.exports import export_request
from govservice.models import ExportJob
from tests.exporting import export_through_screens
from tests.factories.development import at, evaluation, scheme_with

pytestmark = pytest.mark.django_db
JAN = date(2026, 1, 1)


@pytest.fixture
def january(centre, window_staff, other_window_staff, leader):
    from development.models import Formula, Metric, Source

    scheme_with(
        centre,
        [
            {
                "code": "eval_avg",
                "name": "平均评价等级",
                "source": Source.EVALUATIONS,
                "metric": Metric.EVAL_AVERAGE_LEVEL,
                "formula": Formula.AVERAGE,
                "target": Decimal(5),
                "weight": 100,
            }
        ],
        min_evaluations=1,
    )
    evaluation(window_staff, 4, at(2026, 1, 8))
    evaluation(other_window_staff, 5, at(2026, 1, 8))
    return scoring_run_month(centre=centre, month=JAN, actor=leader)


def ask(capture, **kwargs) -> ExportJob:
    with capture(execute=True):
        job = export_request(**kwargs)
    job.refresh_from_db()
    return job


def test_the_month_page_asks_for_the_months_export_and_the_old_link_is_gone(january, as_user, leader):
    client = as_user(leader)
    page = client.get(reverse("staff:score-month", args=["2026-01"])).content.decode()
    assert 'name="kind" value="scores"' in page
    assert 'name="month" value="2026-01"' in page and 'name="centre" value="city"' in page
    with pytest.raises(NoReverseMatch):
        reverse("staff:score-export", args=["2026-01"])
    content = export_through_screens(client, "scores", {"month": "2026-01", "centre": "city"})
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "2026-01" and rows[0][:3] == ("月份", "工号", "姓名")
    assert {row[2]: row[8] for row in rows[1:]} == {"李娜": "是", "张伟": "否"}


def test_the_job_records_who_exported_which_month_and_when(january, leader, django_capture_on_commit_callbacks):
    job = ask(django_capture_on_commit_callbacks, user=leader, kind="scores", params={"month": "2026-01"})
    assert job.status == ExportJob.Status.DONE and job.rows_done == 2
    assert job.requested_by == leader and job.created_at and job.finished_at
    assert job.title == "服务之星人事表 · 2026-01"


def test_another_centres_leader_gets_no_file_for_this_centre(january, other_leader, django_capture_on_commit_callbacks):
    job = ask(
        django_capture_on_commit_callbacks,
        user=other_leader,
        kind="scores",
        params={"month": "2026-01", "centre": "city"},
    )
    assert job.status == ExportJob.Status.FAILED and not job.file
    assert job.error == "没有找到该月的评分。"


def test_window_staff_cannot_export_scores(january, window_staff):
    with pytest.raises(NotFound):
        export_request(user=window_staff, kind="scores", params={"month": "2026-01"})
