"""Policy Q&A knowledge base (政务服务智能问答库). First cut."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from staff.models import Centre, Department, TimeStampedModel


class Question(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        IN_REVIEW = "in_review", _("审核中")
        PUBLISHED = "published", _("已发布")
        RETIRED = "retired", _("已下线")

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="questions")
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="questions"
    )
    question = models.CharField(_("问题"), max_length=300)
    answer = models.TextField(_("答复"))
    policy_basis = models.TextField(_("政策依据"), blank=True)
    procedure = models.TextField(_("办理流程"), blank=True)
    materials = models.TextField(_("所需材料"), blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_until = models.DateField(_("失效日期"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("起草人"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("问答")
        verbose_name_plural = _("政策问答库")
        ordering = ["centre", "question"]
        indexes = [models.Index(fields=["centre", "status"])]

    def __str__(self) -> str:
        return self.question
