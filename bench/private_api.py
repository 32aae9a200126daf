"""Each private API the code keeps (docs/private-api.md), measured against its public replacement.

Issue 13's rule: a private API of Django, DRF or redis-py stays only where it gains 20 % or more on a
headline figure. This runs each headline operation in one process against PostgreSQL and Redis, with the
kept code (A) and with the public replacement patched in (B), interleaved in blocks so that whatever else
the machine does falls on both alike, and reports per use: median wall time and CPU time per operation
for A and B, the gain (B / A - 1) and the verdict. The replacements are written here, not in the product:
the product carries only the code that won.

    .venv/bin/python -m bench.private_api                     # prints JSON, writes bench/results/private_api.json
    .venv/bin/python -m bench.private_api --blocks 9 --per-block 60

Run by bench/run.py as the figure "private_api"; it needs DATABASE_URL (PostgreSQL) and REDIS_URL.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

THRESHOLD = 0.20  # a gain below this and the private API goes (issue 13)
Patch = Callable[[], contextlib.AbstractContextManager[None]]


@contextlib.contextmanager
def _swap(owner: Any, name: str, value: Any) -> Iterator[None]:
    old = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, old)


# --- the public replacements ----------------------------------------------------------------------


@contextlib.contextmanager
def public_prefetch() -> Iterator[None]:
    """#4 + #5: a cached key restored without filling Django's prefetch caches; `_serves` asks the manager."""
    from complaints.services import common
    from intake import auth

    def restore(snapshot: dict[str, Any]) -> Any:
        from complaints.models import Channel
        from intake.models import ChannelKey

        key = ChannelKey.from_db("default", auth._KEY_FIELDS, snapshot["key"])
        key.channel = Channel.from_db("default", auth._CHANNEL_FIELDS, snapshot["channel"])
        return key

    def serves(channel: Any, centre: Any) -> bool:
        return any(c.id == centre.id for c in channel.centres.all())

    with _swap(auth, "_restore", restore), _swap(common, "_serves", serves):
        yield


@contextlib.contextmanager
def public_case_detail() -> Iterator[None]:
    """#8: the case detail's answer through `CaseDetailOutputSerializer(case).data`."""
    from cases import api

    def output(detail: Any) -> dict:
        return api.CaseDetailOutputSerializer(detail.case).data

    with _swap(api, "case_detail_output", output):
        yield


@contextlib.contextmanager
def public_single_rows() -> Iterator[None]:
    """#10: one `aggregate()` per table instead of compiling them into one cross-joined statement."""
    from dashboard.figures import build

    def single_rows(*parts: Any) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for queryset, aggregates in parts:
            values.update(queryset.aggregate(**aggregates))
        return values

    with _swap(build, "_single_rows", single_rows):
        yield


@contextlib.contextmanager
def public_update_returning() -> Iterator[None]:
    """#1: the fallback already in `_update_returning`: lock the ids, update, read them back."""
    with _swap(connection.features, "can_return_rows_from_update", False):
        yield


# --- the headline operations --------------------------------------------------------------------


class World:
    """A centre with a leader, window staff, a case with a history, a channel key and a few records."""

    def __init__(self) -> None:
        from cases import services as case_services
        from govservice.roles import Role
        from tests.factories.cases import matter_with_materials
        from tests.factories.intake import hotline_channel, issued_key
        from tests.factories.staff import CentreFactory, UserFactory, WindowFactory, window_staff

        suffix = str(time.time_ns())[-8:]
        self.centre = CentreFactory.create(code=f"pa{suffix}", tracking_prefix=f"P{suffix[-6:]}")
        window = WindowFactory(centre=self.centre, code="B01")
        staff = window_staff(centre=self.centre, window=window, username=f"pa-staff-{suffix}")
        self.leader = UserFactory.create(centre=self.centre, username=f"pa-leader-{suffix}", roles=[Role.LEADER])
        matter = matter_with_materials(self.centre, code="PA1")
        ids = [m.id for m in matter.materials.all() if m.is_core]
        case = case_services.case_create(
            actor=staff,
            matter_type_id=matter.id,
            provided_material_ids=ids,
            applicant_kind="person",
            applicant_name="王小明",
            applicant_phone="13912345678",
            applicant_id_number="",
        )
        secondary = case.materials.get(is_core=False)
        self.case = case_services.case_accept_with_deficiencies(
            case_id=case.id, actor=staff, deferred_material_ids=[secondary.id]
        )
        self.key = issued_key(hotline_channel(self.centre, code=f"pa-{suffix}"))
        self.channel_client = Client()
        self.leader_client = Client()
        self.leader_client.force_login(self.leader)
        self.n = 0
        from intake.api import EvaluationCreateApi

        # As the bench's "intake POST" figure: the view without its throttle, which would stop the loop.
        EvaluationCreateApi.throttle_classes = []

    def intake_post(self) -> None:
        self.n += 1
        response = self.channel_client.post(
            "/api/v1/intake/evaluations/",
            data=json.dumps({"level": 5, "text": "很好", "external_id": f"pa-{self.n}-{time.time_ns()}"}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Key {self.key}",
        )
        assert response.status_code == 201, response.content

    def case_detail(self) -> None:
        response = self.leader_client.get(f"/api/v1/cases/{self.case.public_id}/", HTTP_ACCEPT="application/json")
        assert response.status_code == 200, response.content

    def dashboard(self) -> None:
        from dashboard.figures import DashboardFilters, dashboard_for

        dashboard_for(user=self.leader, filters=DashboardFilters.from_query({}))

    def dispatch(self, messages: int = 1000) -> None:
        """Seed n due messages, then claim and send them batch by batch in this process."""
        from bench.inproc import sms_seed
        from notifications.services import sms_claim_due, sms_send_batch

        self.n += 1
        sms_seed(tag=f"pa{self.n}-{time.time_ns()}", messages=messages)
        while True:
            result = sms_claim_due(limit=500, enqueue=False)
            if not result.claimed:
                break
            sms_send_batch(message_ids=result.claimed)


USES: list[tuple[str, str, str, Patch]] = [
    ("#4+#5 prefetch caches of a cached channel key", "intake_post", "channel intake POST", public_prefetch),
    ("#8 hand-built case detail", "case_detail", "case detail GET", public_case_detail),
    ("#10 cross-joined single figures", "dashboard", "leader dashboard", public_single_rows),
    ("#1 UPDATE … RETURNING", "dispatch", "reminder dispatch", public_update_returning),
]


def _time(operation: Callable[[], None], times: int) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(times):
        operation()
    return (time.perf_counter() - wall) / times, (time.process_time() - cpu) / times


def _queries(operation: Callable[[], None]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        operation()
    return len(ctx.captured_queries)


def measure(operation: Callable[[], None], patch: Patch, *, blocks: int, per_block: int) -> dict[str, Any]:
    operation()  # warm: caches, the calendar, the serializers' shared fields
    with patch():
        operation()
    private_queries = _queries(operation)
    with patch():
        public_queries = _queries(operation)
    a_wall, a_cpu, b_wall, b_cpu = [], [], [], []
    for block in range(blocks):
        order = ("A", "B") if block % 2 == 0 else ("B", "A")  # each side goes first half the time
        for side in order:
            if side == "A":
                wall, cpu = _time(operation, per_block)
                a_wall.append(wall)
                a_cpu.append(cpu)
            else:
                with patch():
                    wall, cpu = _time(operation, per_block)
                b_wall.append(wall)
                b_cpu.append(cpu)
    a, b = statistics.median(a_wall), statistics.median(b_wall)
    gain = b / a - 1
    # A headline figure is a time or a query count (the dashboard's "≤ 12 queries"): either may keep it.
    query_gain = round(public_queries / private_queries - 1, 3) if private_queries else 0.0
    return {
        "private_queries": private_queries,
        "public_queries": public_queries,
        "private_ms": round(a * 1000, 3),
        "public_ms": round(b * 1000, 3),
        "private_cpu_ms": round(statistics.median(a_cpu) * 1000, 3),
        "public_cpu_ms": round(statistics.median(b_cpu) * 1000, 3),
        "gain": round(gain, 3),
        "query_gain": query_gain,
        "verdict": "kept" if max(round(gain, 3), query_gain) >= THRESHOLD else "replace",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=7)
    parser.add_argument("--per-block", type=int, default=40)
    parser.add_argument("--dispatch-messages", type=int, default=1000)
    parser.add_argument("--only", default="", help="comma-separated use numbers, e.g. 6,7")
    args = parser.parse_args()
    setup_test_environment()  # the test client's response.context hooks; nothing else changes
    world = World()
    only = {f"#{n}" for n in filter(None, args.only.split(","))}
    results = []
    for name, op, figure, patch in USES:
        if only and not any(tag in name.split()[0].split("+") or tag == name.split()[0] for tag in only):
            continue
        per_block = args.per_block
        operation: Callable[[], None] = getattr(world, op)
        if op == "dispatch":
            per_block = 1
            operation = functools.partial(world.dispatch, args.dispatch_messages)
        elif op == "dashboard":
            per_block = max(1, per_block // 4)
        print(f"measuring {name} ({figure}) ...", file=sys.stderr, flush=True)
        results.append(
            {"use": name, "figure": figure, **measure(operation, patch, blocks=args.blocks, per_block=per_block)}
        )
    out = {"threshold": THRESHOLD, "blocks": args.blocks, "per_block": args.per_block, "uses": results}
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "private_api.json").write_text(json.dumps(out, ensure_ascii=False, indent=2))
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
