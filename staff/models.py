"""Centres, departments, windows, people and their roles; the working-day calendar."""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from govservice.crypto import EncryptedCharField
from govservice.masking import mask_phone


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class Centre(TimeStampedModel):
    class Level(models.TextChoices):
        CITY = "city", _("市级中心")
        DISTRICT = "district", _("区县中心")

    code = models.SlugField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices, default=Level.DISTRICT)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级中心"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    tracking_prefix = models.CharField(
        _("办件编号前缀"), max_length=8, help_text=_("例如 GS，编号形如 GS-2026-000123"), unique=True
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("政务服务中心")
        verbose_name_plural = _("政务服务中心")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(TimeStampedModel):
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="departments")
    code = models.SlugField(_("编码"), max_length=30)
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["centre", "code"]
        constraints = [models.UniqueConstraint(fields=["centre", "code"], name="department_code_unique_per_centre")]

    def __str__(self) -> str:
        return self.name


class PositionType(models.TextChoices):
    COMPREHENSIVE = "comprehensive", _("综合窗口")
    PROFESSIONAL = "professional", _("专业窗口")


class Window(TimeStampedModel):
    public_id = models.UUIDField(_("公开编号"), default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="windows")
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="windows"
    )
    code = models.CharField(_("窗口号"), max_length=10)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("窗口类型"), max_length=20, choices=PositionType.choices)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        ordering = ["centre", "code"]
        constraints = [models.UniqueConstraint(fields=["centre", "code"], name="window_code_unique_per_centre")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Role(models.TextChoices):
    WINDOW_STAFF = "window_staff", _("窗口人员")
    HELPER = "helper", _("帮办员")
    MENTOR = "mentor", _("业务导师")
    LIAISON = "liaison", _("业务科室联络员")
    LEADER = "leader", _("中心领导")
    CITY_LEADER = "city_leader", _("市级领导")
    CENTRE_ADMIN = "centre_admin", _("中心管理员")
    CITY_ADMIN = "city_admin", _("市级管理员")


# Roles that see every centre of the deployment; everyone else sees their own centre.
CITY_WIDE_ROLES = frozenset({Role.CITY_LEADER, Role.CITY_ADMIN})
LEADER_ROLES = frozenset({Role.LEADER, Role.CITY_LEADER})
ADMIN_ROLES = frozenset({Role.CENTRE_ADMIN, Role.CITY_ADMIN})


class User(AbstractUser):
    """A member of staff. Citizens never log in."""

    name = models.CharField(_("姓名"), max_length=50)
    staff_no = models.CharField(_("工号"), max_length=20, blank=True)
    centre = models.ForeignKey(
        Centre, verbose_name=_("中心"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="staff"
    )
    position_type = models.CharField(_("岗位类型"), max_length=20, choices=PositionType.choices, blank=True)
    started_on = models.DateField(_("窗口工作起始日"), null=True, blank=True)
    mobile = EncryptedCharField(_("手机号"), blank=True)
    sms_opt_in = models.BooleanField(_("接收短信提醒"), default=False)
    photo = models.ImageField(_("照片"), upload_to="staff/photos/", blank=True)

    objects = UserManager()

    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.name or self.username

    @cached_property
    def role_set(self) -> frozenset[str]:
        if not self.pk:
            return frozenset()
        return frozenset(self.roles.values_list("role", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set.intersection(roles))

    @property
    def is_city_wide(self) -> bool:
        return self.is_superuser or self.has_role(*CITY_WIDE_ROLES)

    @property
    def is_leader(self) -> bool:
        return self.has_role(*LEADER_ROLES)

    @property
    def masked_mobile(self) -> str:
        return mask_phone(self.mobile)

    def years_on_windows(self, on: date) -> float | None:
        if not self.started_on:
            return None
        return (on - self.started_on).days / 365.25


class StaffRole(models.Model):
    user = models.ForeignKey(User, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="staff_role_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class WorkCalendarYear(models.Model):
    """A year whose official calendar the centre has entered completely."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    is_complete = models.BooleanField(
        _("已完整录入"), default=False, help_text=_("勾选后，该年截止日期不再标记为“暂定”。")
    )
    source = models.CharField(_("依据"), max_length=200, blank=True, help_text=_("如国务院办公厅放假安排通知的文号"))

    class Meta:
        verbose_name = _("工作日历年度")
        verbose_name_plural = _("工作日历年度")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class WorkCalendarDay(models.Model):
    """A holiday or an adjusted working day (调休) that overrides the built-in calendar."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("上班"), help_text=_("勾选：调休上班日；不勾选：放假。"))
    name = models.CharField(_("说明"), max_length=50, blank=True, help_text=_("如“春节”“国庆节调休上班”"))

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
