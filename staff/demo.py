"""Demo centres, departments, windows and people (idempotent).

Names are realistic but fictional; phone numbers are well-formed but in the
139-0000 block, which is not handed out to subscribers.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from govservice.models import Centre, Department

from .models import PositionType, Role, User, Window
from .services import staff_groups_sync, staff_role_grant

# The one password of every demo account, printed by `make run`; set only while DEBUG is on (below).
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - demo only, printed by `make run`
T = TypeVar("T")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红梅鑫波斌宇浩凯健俊帆帅旭宁欣悦琳晨晓雪婷玲颖慧佳睿博文"

DEPARTMENTS = [
    ("scjg", "市场监管局"),
    ("rsj", "人力资源和社会保障局"),
    ("ybj", "医疗保障局"),
    ("gjj", "住房公积金中心"),
    ("bdc", "不动产登记中心"),
    ("swj", "税务局"),
    ("gahz", "公安户政"),
    ("mzj", "民政局"),
]


@dataclass
class DemoContext:
    stdout: Any
    show_progress: bool = True
    rng: random.Random = field(default_factory=lambda: random.Random(20250101))
    logins: list[tuple[str, str]] = field(default_factory=list)
    # Usernames of the accounts this run created (`load_demo --allow-production` gives those it
    # prints a random password of their own).
    created_usernames: set[str] = field(default_factory=set)

    def progress(self, iterable: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
        yield from tqdm(iterable, desc=desc, total=total, disable=not self.show_progress, leave=False, unit="")

    def person_name(self) -> str:
        given = self.rng.choice(GIVEN) + (self.rng.choice(GIVEN) if self.rng.random() < 0.7 else "")
        return self.rng.choice(SURNAMES) + given

    def phone(self) -> str:
        return f"1390000{self.rng.randrange(10000):04d}"


@cache
def _demo_password_hash() -> str:
    # One PBKDF2 run for all demo users: hashing each one costs a quarter second.
    return make_password(DEMO_PASSWORD)


def demo_password_hash() -> str:
    """The shared, printed demo password while DEBUG is on; an unusable one otherwise.

    A password printed in the README must never open an account of a production database:
    outside DEBUG (the demo loaded by mistake, the bench, the tests) every demo account is
    created without a usable password.
    """
    return _demo_password_hash() if settings.DEBUG else make_password(None)


def _user(
    ctx: DemoContext,
    username: str,
    *,
    centre: Centre | None,
    roles: Iterable[str],
    name: str | None = None,
    **fields: Any,
) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, name=name or ctx.person_name(), centre=centre, **fields)
        user.password = demo_password_hash()
        user.save()
        ctx.created_usernames.add(username)
    for role in roles:
        staff_role_grant(user=user, role=role)
    return user


@transaction.atomic
def load(ctx: DemoContext) -> None:
    city, _ = Centre.objects.get_or_create(
        code="city",
        defaults={
            "name": "市政务服务中心",
            "level": Centre.Level.CITY,
            "tracking_prefix": "GS",
            "address": "市民中心 1 号楼",
        },
    )
    district, _ = Centre.objects.get_or_create(
        code="gxq",
        defaults={
            "name": "高新区政务服务中心",
            "level": Centre.Level.DISTRICT,
            "parent": city,
            "tracking_prefix": "GX",
            "address": "高新区科技大道 88 号",
        },
    )
    today = timezone.localdate()
    plan = [(city, 16, 40), (district, 9, 20)]  # windows, window staff per centre
    for centre, window_count, staff_count in ctx.progress(plan, "centres"):
        departments = [
            Department.objects.get_or_create(centre=centre, code=code, defaults={"name": name})[0]
            for code, name in DEPARTMENTS
        ]
        windows = []
        for number in range(1, window_count + 1):
            comprehensive = number <= window_count // 3
            department = None if comprehensive else departments[(number - 1) % len(departments)]
            window, _ = Window.objects.get_or_create(
                centre=centre,
                code=f"{'A' if comprehensive else 'B'}{number:02d}",
                defaults={
                    "name": f"{department.name}窗口" if department is not None else "综合受理窗口",
                    "kind": PositionType.COMPREHENSIVE if comprehensive else PositionType.PROFESSIONAL,
                    "department": department,
                },
            )
            windows.append(window)
        for index in ctx.progress(range(1, staff_count + 1), f"{centre.code} staff", total=staff_count):
            window = windows[(index - 1) % len(windows)]
            years = ctx.rng.choice([0.3, 0.8, 1.5, 2.5, 4, 6, 8, 11])
            _user(
                ctx,
                f"{centre.code}-staff{index:02d}",
                centre=centre,
                roles=[Role.WINDOW_STAFF],
                window=window,
                department=window.department,
                position_type=window.kind,
                started_on=today - timedelta(days=int(years * 365)),
                staff_no=f"{centre.tracking_prefix}{index:04d}",
                mobile=ctx.phone(),
            )
        # Mentors are experienced window staff (≥ 5 years on the windows).
        veterans = User.objects.filter(
            centre=centre, roles__role=Role.WINDOW_STAFF, started_on__lte=today - timedelta(days=5 * 365)
        )
        for user in veterans.order_by("username")[: 10 if centre == city else 5]:
            staff_role_grant(user=user, role=Role.MENTOR)
        for index in range(1, (4 if centre == city else 2) + 1):
            _user(ctx, f"{centre.code}-helper{index}", centre=centre, roles=[Role.HELPER], mobile=ctx.phone())
        for index, department in enumerate(departments[:4], start=1):
            _user(ctx, f"{centre.code}-liaison{index}", centre=centre, roles=[Role.LIAISON], department=department)
        for index in range(1, 4):
            _user(
                ctx,
                f"{centre.code}-leader{index}",
                centre=centre,
                roles=[Role.LEADER],
                mobile=ctx.phone(),
                sms_opt_in=True,
            )
        _user(ctx, f"{centre.code}-admin", centre=centre, roles=[Role.CENTRE_ADMIN], is_staff=True)

    _user(ctx, "cityleader", centre=city, roles=[Role.CITY_LEADER], name="周建国")
    admin = _user(ctx, "admin", centre=city, roles=[Role.CITY_ADMIN], name="系统管理员", is_staff=True)
    if not admin.is_superuser:
        admin.is_superuser = True
        admin.save(update_fields=["is_superuser"])
    # Centre admins use the Django admin for reference data.
    User.objects.filter(roles__role=Role.CENTRE_ADMIN).update(is_staff=True)
    # Roles given before this loader went through the service (an older demo database) join their groups too.
    staff_groups_sync()

    ctx.logins += [
        ("city-staff01", "窗口人员 window staff (市中心)"),
        ("city-helper1", "帮办员 helper"),
        ("city-liaison1", "业务科室联络员 department liaison"),
        ("city-leader1", "中心领导 centre leader"),
        ("cityleader", "市级领导 city leader (all centres)"),
        ("city-admin", "中心管理员 centre administrator"),
        ("admin", "市级管理员 city administrator (superuser)"),
        ("gxq-staff01", "窗口人员 window staff (高新区)"),
    ]
