"""EXPLAIN evidence for every index kept on complaints_evaluation (docs/indexes.md).

    python -m bench.explain_indexes        # needs DATABASE_URL (PostgreSQL, a seeded bench database)

For each index: the query of the product that needs it (as the ORM writes it) and the plan PostgreSQL picks
for it, plus the list of the table's indexes and their sizes. Sequential scans are switched off only where
said (a tiny table would be scanned whatever the index), never to flatter a plan.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402
from typing import Any  # noqa: E402

from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from complaints.models import Complaint, Evaluation  # noqa: E402


def main() -> None:
    sample = (
        Evaluation.objects.exclude(staff=None).exclude(window=None).order_by("-id").first()
        or Evaluation.objects.first()
    )
    assert sample is not None, "seed the bench database first"
    now = timezone.now()
    month = (now - timedelta(days=30), now)
    queries: dict[str, Any] = {
        "complaints_evaluation_pkey": Evaluation.objects.filter(pk=sample.pk),
        "complaints_evaluation_public_id_key": Evaluation.objects.filter(public_id=sample.public_id),
        "complaints_evaluation_follow_up_of_id_key": Evaluation.objects.filter(follow_up_of_id=sample.pk),
        "evaluation_centre_rated_cover": Evaluation.objects.filter(
            centre_id=sample.centre_id, rated_at__range=month, excluded=False
        ).aggregate(n=Count("id"), bad=Count("id", filter=Q(level__lte=2))),
        "evaluation_staff_rated": Evaluation.objects.filter(
            staff_id=sample.staff_id or 0, rated_at__range=month
        ).order_by("-rated_at")[:20],
        "evaluation_window_rated": Evaluation.objects.filter(
            window_id=sample.window_id or 0, rated_at__range=month
        ).order_by("-rated_at")[:20],
        "complaints_evaluation_channel_id_d0048944": Evaluation.objects.filter(channel_id__in=[sample.channel_id])[:1],
        "evaluation_external_id_unique_per_channel": Evaluation.objects.filter(
            channel_id=sample.channel_id, external_id="x-1"
        ),
        "evaluation_once_per_case / evaluation_case": Evaluation.objects.filter(case_id=sample.case_id or 1),
        "evaluation_matter": Evaluation.objects.filter(matter_type_id__in=[sample.matter_type_id or 1]),
        "evaluation_superseded_by": Evaluation.objects.filter(superseded_by_id=sample.pk),
        "evaluation_phone_hash (one rating per phone, self-rating)": Evaluation.objects.filter(
            Q(evaluator_phone_hash__in=["a" * 64, "b" * 64]) | Q(device_hash="c" * 64),
            centre_id=sample.centre_id,
            rated_at__range=(now - timedelta(days=1), now),
        ),
        "evaluation_phone_hash (a month, by phone)": Evaluation.objects.filter(
            evaluator_phone_hash__in=["a" * 64], rated_at__range=month
        ),
    }
    print(f"complaints_evaluation: {Evaluation.objects.count()} rows\n")
    for name, query in queries.items():
        print(f"### {name}")
        if isinstance(query, dict):  # an aggregate: explain its queryset
            qs = Evaluation.objects.filter(centre_id=sample.centre_id, rated_at__range=month, excluded=False)
            plan = qs.values("level").annotate(n=Count("id")).explain()
        else:
            plan = query.explain()
        print(plan + "\n")
    print(f"complaints_complaint: {Complaint.objects.count()} rows\n")
    c = Complaint.objects.order_by("-id").first()
    assert c is not None
    complaint_queries = {
        "complaint_owner (a handler's complaints)": Complaint.objects.filter(
            owner_id=c.owner_id or 1, status="assigned"
        ),
        "complaint_staff (complaints about a member of staff)": Complaint.objects.filter(staff_id=c.staff_id or 1),
        "complaint_window": Complaint.objects.filter(window_id=c.window_id or 1),
        "complaint_problem (a ledger problem's complaints)": Complaint.objects.filter(problem_id=1),
        "complaint_evaluation (the complaint of a bad review)": Complaint.objects.filter(evaluation_id=1),
        "complaint_merged_into (a complaint's merged sources)": Complaint.objects.filter(merged_into_id=c.pk),
        "complaint_department": Complaint.objects.filter(department_id=1),
        "complaint_phone_hash (one citizen's complaints)": Complaint.objects.filter(contact_phone_hash="a" * 64),
        "complaints__centre_… (centre, received_at)": Complaint.objects.filter(centre_id=c.centre_id).order_by(
            "-received_at"
        )[:20],
    }
    for name, query in complaint_queries.items():
        print(f"### {name}")
        print(query.explain() + "\n")
    with connection.cursor() as cursor:
        for table in ("complaints_evaluation", "complaints_complaint"):
            cursor.execute(
                "SELECT indexrelname, pg_size_pretty(pg_relation_size(indexrelid)) FROM pg_stat_user_indexes "
                "WHERE relname = %s ORDER BY indexrelname",
                [table],
            )
            print(f"### indexes of {table} now")
            for row in cursor.fetchall():
                print(f"{row[0]}: {row[1]}")


if __name__ == "__main__":
    main()
