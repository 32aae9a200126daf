"""The case (办件) itself: its status table, its history, its tracking number, its deadline warnings and the dashboard's daily counts."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice.crypto import EncryptedCharField, LookupHashField
from govservice.models import Centre, TimeStampedModel
from govservice.sealed import ScrubbedCharField, ScrubbedTextField
from staff.models import Window

from .catalogue import MatterType


class Case(TimeStampedModel):
    class Status(models.TextChoices):
        CONSULTATION = "consultation", _("咨询")
        ACCEPTED = "accepted", _("受理")
        ACCEPTED_DEFICIENT = "accepted_deficient", _("容缺受理")
        AWAITING_CORRECTION = "awaiting_correction", _("待补正")
        IN_PROCESS = "in_process", _("办理中")
        COMPLETED = "completed", _("办结")
        REJECTED = "rejected", _("不予受理")
        WITHDRAWN = "withdrawn", _("撤回")
        TERMINATED = "terminated", _("终止办理")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.CONSULTATION: frozenset({Status.ACCEPTED, Status.ACCEPTED_DEFICIENT, Status.REJECTED, Status.WITHDRAWN}),
        Status.ACCEPTED: frozenset({Status.IN_PROCESS, Status.REJECTED, Status.WITHDRAWN}),
        Status.ACCEPTED_DEFICIENT: frozenset({Status.AWAITING_CORRECTION, Status.WITHDRAWN}),
        Status.AWAITING_CORRECTION: frozenset({Status.IN_PROCESS, Status.TERMINATED, Status.WITHDRAWN}),
        Status.IN_PROCESS: frozenset({Status.COMPLETED, Status.REJECTED, Status.WITHDRAWN}),
        Status.COMPLETED: frozenset(),
        Status.REJECTED: frozenset(),
        Status.WITHDRAWN: frozenset(),
        Status.TERMINATED: frozenset(),
    }

    class ApplicantKind(models.TextChoices):
        PERSON = "person", _("个人")
        ENTERPRISE = "enterprise", _("企业")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tracking_no = models.CharField(_("办件编号"), max_length=30, unique=True)
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="cases")
    matter_type = models.ForeignKey(MatterType, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="cases")
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    applicant_kind = models.CharField(_("申请人类型"), max_length=20, choices=ApplicantKind.choices)
    applicant_name = ScrubbedCharField(_("申请人"), max_length=100)
    applicant_phone = EncryptedCharField(_("联系电话"), blank=True)
    applicant_phone_hash = LookupHashField(
        lookup_source="applicant_phone", max_length=64, blank=True, db_index=True, editable=False
    )
    # The last four digits of the phone, in clear: they are shown on every masked screen (138****1234)
    # anyway, and with the name they find a returning citizen's case through an index (cases/search.py).
    applicant_phone_last4 = models.CharField(_("手机号后四位"), max_length=4, blank=True, editable=False)
    applicant_id_number = EncryptedCharField(_("证件号码"), blank=True)
    applicant_id_hash = LookupHashField(
        lookup_source="applicant_id_number", max_length=64, blank=True, db_index=True, editable=False
    )
    is_elderly = models.BooleanField(_("老年人"), default=False)
    is_disabled = models.BooleanField(_("残疾人"), default=False)
    is_other_special = models.BooleanField(_("其他特殊群体"), default=False)
    status = models.CharField(_("状态"), max_length=30, choices=Status.choices, default=Status.CONSULTATION)
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("首问责任人"),
        on_delete=models.PROTECT,
        related_name="first_asked_cases",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("当前承办人"), on_delete=models.PROTECT, related_name="handled_cases"
    )
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    due_date = models.DateField(_("承诺办结日期"), null=True, blank=True)
    # A copy of commitment.deadline, written with it by the services (容缺受理, 延期), so that the
    # current deadline below is a column of this table and the list can be ordered by an index.
    correction_deadline = models.DateField(_("补正期限"), null=True, blank=True, editable=False)
    # The date the case is overdue after: the promised date while the clock runs, the correction
    # deadline while awaiting materials, none otherwise. Computed by the database from the status.
    current_deadline = models.GeneratedField(
        expression=models.Case(
            models.When(status__in=["accepted", "in_process"], then=models.F("due_date")),
            models.When(status="awaiting_correction", then=models.F("correction_deadline")),
            default=None,
            output_field=models.DateField(),
        ),
        output_field=models.DateField(null=True),
        db_persist=True,
        verbose_name=_("当前期限"),
    )
    reject_reason = models.CharField(_("不予受理理由"), max_length=30, blank=True)
    referred_to = ScrubbedCharField(_("告知的有权机关"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["centre", "status"]),
            models.Index(fields=["centre", "created_at"]),
            models.Index(fields=["handler", "status"]),
            models.Index(fields=["first_responder", "status"]),
            # The list: overdue and nearest deadline first, then the newest (selectors.case_list_for).
            models.Index(fields=["centre", "current_deadline", "-created_at"], name="case_centre_deadline_idx"),
            # The counter's search (cases/search.py): a name, or a name with the phone's last four digits.
            models.Index(fields=["centre", "applicant_name"], name="case_centre_applicant_idx"),
            models.Index(fields=["centre", "applicant_phone_last4"], name="case_centre_phone_last4_idx"),
            # The few cases of the special groups (帮办代办): the dashboard joins their assistance
            # records without scanning every case of the period (partial: others add no entry).
            models.Index(
                fields=["centre", "created_at"],
                condition=models.Q(is_elderly=True) | models.Q(is_disabled=True) | models.Q(is_other_special=True),
                name="case_special_groups_idx",
            ),
            # The monthly service-star run's case counts (selectors.case_counts_by_handler: completed or
            # accepted in the month): two ranges PostgreSQL ORs together, so a centre's run reads its month,
            # not every case the centre ever had (docs/indexes.md). Partial: the query's ranges imply them.
            models.Index(
                fields=["centre", "completed_at"],
                condition=models.Q(status="completed", completed_at__isnull=False),
                name="case_centre_completed_idx",
            ),
            models.Index(
                fields=["centre", "accepted_at"],
                condition=models.Q(accepted_at__isnull=False),
                name="case_centre_accepted_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "consultation",
                        "accepted",
                        "accepted_deficient",
                        "awaiting_correction",
                        "in_process",
                        "completed",
                        "rejected",
                        "withdrawn",
                        "terminated",
                    ]
                ),
                name="case_status_known",
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_no

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", kwargs={"public_id": self.public_id})

    @property
    def is_overdue(self) -> bool:
        return self.current_deadline is not None and self.current_deadline < timezone.localdate()

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def special_groups(self) -> list[str]:
        labels = []
        if self.is_elderly:
            labels.append(str(_("老年人")))
        if self.is_disabled:
            labels.append(str(_("残疾人")))
        if self.is_other_special:
            labels.append(str(_("其他特殊群体")))
        return labels

    @property
    def is_special_group(self) -> bool:
        return self.is_elderly or self.is_disabled or self.is_other_special


CLOSED_STATUSES = frozenset(
    {Case.Status.COMPLETED, Case.Status.REJECTED, Case.Status.WITHDRAWN, Case.Status.TERMINATED}
)


class CaseDayCount(models.Model):
    """How many cases a centre logged on one local day, by matter and special group (the dashboard's figures).

    Written only by database triggers on the case table, in the same transaction as each insert,
    update and delete (govservice/rollups.py); `manage.py rebuild_dashboard_rollups` recomputes it.
    Plain integers to the database (no foreign-key constraints, which would lock the referenced
    rows on every insert); the relations serve the ORM's joins.
    """

    centre = models.ForeignKey(
        Centre, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    day = models.DateField()
    matter_type = models.ForeignKey(
        MatterType, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    is_elderly = models.BooleanField()
    is_disabled = models.BooleanField()
    is_other_special = models.BooleanField()
    # The writing connection's shard of the counter (govservice/rollups.py): readers sum the
    # shards, and a shard may go below zero when another connection added what this one removes.
    shard = models.PositiveSmallIntegerField(db_default=0)
    n = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "day", "matter_type", "is_elderly", "is_disabled", "is_other_special", "shard"],
                name="case_day_count_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre_id} {self.day} {self.matter_type_id}: {self.n}"


class RejectReason(models.TextChoices):
    """Grounds for 不予受理. "Not my business" is deliberately absent (首问负责制)."""

    NOT_ELIGIBLE = "not_eligible", _("不符合法定受理条件")
    FORM_UNFIXABLE = "form_unfixable", _("申请材料不符合法定形式且无法补正")
    OTHER_AUTHORITY = "other_authority", _("依法不属于本机关职权范围（已告知有权机关）")


class CaseEvent(models.Model):
    """One line of a case's history. The time-limit clock is computed from these rows only."""

    class Kind(models.TextChoices):
        STATUS = "status", _("状态变更")
        MATERIAL = "material", _("收到材料")
        HANDOVER = "handover", _("转交")
        EXTENSION = "extension", _("补正延期")
        WARNING = "warning", _("时限预警")
        ASSIST = "assist", _("帮办代办")
        NOTE = "note", _("备注")

    class Clock(models.TextChoices):
        START = "start", _("计时开始")
        PAUSE = "pause", _("计时暂停")
        RESUME = "resume", _("计时恢复")
        STOP = "stop", _("计时结束")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.STATUS)
    old_status = models.CharField(max_length=30, blank=True)
    new_status = models.CharField(max_length=30, blank=True)
    clock = models.CharField(_("计时"), max_length=10, choices=Clock.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = ScrubbedTextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("办件记录")
        verbose_name_plural = _("办件记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.old_status} → {self.new_status}"

    @property
    def old_status_label(self) -> str:
        return str(Case.Status(self.old_status).label) if self.old_status else ""

    @property
    def new_status_label(self) -> str:
        return str(Case.Status(self.new_status).label) if self.new_status else ""


class TrackingCounter(models.Model):
    """The last tracking number handed out per centre and year; locked row by row."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["centre", "year"], name="tracking_counter_unique")]

    def __str__(self) -> str:
        return f"{self.centre_id}/{self.year}: {self.last_value}"


class DeadlineWarning(models.Model):
    """A 50/80/100 % warning that was given; the natural key makes the warning task idempotent."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="warnings")
    percent = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "percent", "due_date"], name="deadline_warning_once")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.percent}%"
